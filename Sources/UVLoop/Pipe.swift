import CLibUV
import Glibc

/// A `uv_pipe_t`: here, the parent's end of a pipe to a child process (see ``ChildProcess``),
/// read with closures. Thread: the loop's thread only.
public final class Pipe: Stream {
    private var onData: ((UnsafeRawBufferPointer) -> Void)?
    private var onEnd: (() -> Void)?

    public init(loop: Loop) throws {
        try super.init(loop: loop, type: UV_NAMED_PIPE, "uv_pipe_init") { memory in
            uv_pipe_init(loop.raw, memory.assumingMemoryBound(to: uv_pipe_t.self), 0)
        }
    }

    /// The read end `descriptor` of a pipe made elsewhere (`pipe(2)` before a `fork`): the handle
    /// owns it from now on and closes it with itself.
    public convenience init(loop: Loop, adopting descriptor: Int32) throws {
        try self.init(loop: loop)
        do {
            try UVError.check(uv_pipe_open(UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_pipe_t.self), descriptor), "uv_pipe_open")
        } catch {
            Glibc.close(descriptor)
            close()
            throw error
        }
    }

    /// Reads until the other end closes: `onData` for bytes (valid during the call), then `onEnd`
    /// once (EOF or error).
    public func read(onData: @escaping (UnsafeRawBufferPointer) -> Void, onEnd: @escaping () -> Void) throws {
        self.onData = onData
        self.onEnd = onEnd
        try startReading()
    }

    /// Hands `onData` what the kernel holds for this pipe now, without waiting: for a pipe about
    /// to be closed whose last bytes may not have been read by the loop yet (a child that wrote,
    /// then exited: libuv may report the exit first).
    public func readAvailable() {
        var descriptor = uv_os_fd_t()
        guard uv_fileno(handle, &descriptor) == 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            // libuv keeps the descriptor non-blocking: read returns -1/EAGAIN once it is empty.
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { return }
            buffer.withUnsafeBytes { onData?(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
    }

    override func didRead(_ bytes: UnsafeRawBufferPointer) { onData?(bytes) }
    override func didReachEOF() { finish() }
    override func didFail(_ error: UVError) { finish() }

    private func finish() {
        let end = onEnd
        onEnd = nil
        onData = nil
        end?()
    }

    override func didClose() {
        super.didClose()
        onData = nil
        onEnd = nil
    }
}
