import CLibUV

/// One libuv event loop (`uv_loop_t`) and what every handle on it shares.
///
/// Thread rule: a loop and all of its handles belong to one thread, the one that calls ``run()``;
/// set them up on that thread too. The only call other threads may make is ``AsyncWakeup/Sender``'s
/// `send()`.
///
/// Ownership: the loop owns its `uv_loop_t` memory and its shared read buffer. Handles do not retain
/// the loop; whoever runs the loop keeps it alive until ``close()`` succeeded.
public final class Loop {
    @usableFromInline let raw: UnsafeMutablePointer<uv_loop_t>

    /// The target of every read on this loop (libuv's alloc callback hands it out). Reads on one loop
    /// happen one at a time and each read callback consumes its bytes before returning, so one buffer
    /// serves every connection: idle connections cost no read buffer at all.
    let readBuffer: UnsafeMutableRawBufferPointer

    /// Size of the shared read buffer, and so the most one read callback delivers.
    public static let readBufferSize = 64 * 1024

    private var isClosed = false

    public init() throws {
        raw = .allocate(capacity: 1)
        let status = uv_loop_init(raw)
        guard status == 0 else {
            raw.deallocate()
            throw UVError(status, "uv_loop_init")
        }
        readBuffer = .allocate(byteCount: Loop.readBufferSize, alignment: 64)
        raw.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    /// Runs until no active handle is left.
    public func run() {
        uv_run(raw, UV_RUN_DEFAULT)
    }

    /// Runs one iteration without blocking (used to let close callbacks fire).
    public func runNoWait() {
        uv_run(raw, UV_RUN_NOWAIT)
    }

    /// The loop's cached time in milliseconds (updated once per iteration; cheap, and inlined into
    /// callers: connections read it several times per request).
    @inlinable
    public var now: UInt64 { uv_now(raw) }

    /// Closes the loop. Throws `UV_EBUSY` while handles are still open; ``openHandles`` names them.
    public func close() throws {
        guard !isClosed else { return }
        try UVError.check(uv_loop_close(raw), "uv_loop_close (open: \(openHandles.joined(separator: ", ")))")
        isClosed = true
    }

    /// The type names of the handles still open on this loop (for diagnostics and tests).
    public var openHandles: [String] {
        var names: [String] = []
        withUnsafeMutablePointer(to: &names) { names in
            uv_walk(raw, { handle, context in
                guard let handle, let context else { return }
                let names = context.assumingMemoryBound(to: [String].self)
                names.pointee.append(String(cString: uv_handle_type_name(handle.pointee.type)))
            }, names)
        }
        return names
    }

    deinit {
        readBuffer.deallocate()
        // A loop that failed to close still has handles pointing at its memory: leaking it is the
        // only safe choice. A closed loop's memory is ours to free.
        if isClosed { raw.deallocate() }
    }

    /// The `Loop` that owns a `uv_loop_t` (stored unretained in its `data` at init).
    static func owner(of loop: UnsafeMutablePointer<uv_loop_t>) -> Loop {
        Unmanaged<Loop>.fromOpaque(loop.pointee.data).takeUnretainedValue()
    }

    /// The shared read buffer of the `Loop` that owns `loop`, without counting a reference (the
    /// loop runs, so its owner is alive): libuv asks for it before every read.
    static func readBuffer(of loop: UnsafeMutablePointer<uv_loop_t>) -> UnsafeMutableRawBufferPointer {
        Unmanaged<Loop>.fromOpaque(loop.pointee.data)._withUnsafeGuaranteedRef { $0.readBuffer }
    }
}
