import CLibUV

/// A `uv_signal_t`: a process signal delivered as a callback on the loop's thread.
public final class SignalWatcher: Handle {
    private var callback: ((Int32) -> Void)?

    /// Watches `signal` from now until close.
    public init(loop: Loop, signal: Int32, _ callback: @escaping (Int32) -> Void) throws {
        self.callback = callback
        try super.init(loop: loop, type: UV_SIGNAL, "uv_signal_init") { memory in
            uv_signal_init(loop.raw, memory.assumingMemoryBound(to: uv_signal_t.self))
        }
        do {
            let watcher = UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_signal_t.self)
            try UVError.check(uv_signal_start(watcher, signalCallback, signal), "uv_signal_start")
        } catch {
            close()
            throw error
        }
    }

    fileprivate func fire(_ signal: Int32) { callback?(signal) }

    override func didClose() { callback = nil }
}

private let signalCallback: uv_signal_cb = { watcher, signal in
    guard let watcher, watcher.pointee.data != nil else { return }
    Handle.owner(UnsafeMutableRawPointer(watcher), as: SignalWatcher.self).fire(signal)
}
