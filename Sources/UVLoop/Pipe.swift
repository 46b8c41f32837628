import CLibUV

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

    /// Reads until the other end closes: `onData` for bytes (valid during the call), then `onEnd`
    /// once (EOF or error).
    public func read(onData: @escaping (UnsafeRawBufferPointer) -> Void, onEnd: @escaping () -> Void) throws {
        self.onData = onData
        self.onEnd = onEnd
        try startReading()
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
