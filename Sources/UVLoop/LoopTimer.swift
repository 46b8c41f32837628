import CLibUV

/// A `uv_timer_t`: runs a callback after a delay, optionally repeating.
///
/// The callback is held until ``stop()`` or close (dropped in the close callback, breaking any
/// cycle through captured owners). Thread: the loop's thread only.
public final class LoopTimer: Handle {
    private var callback: (() -> Void)?

    public init(loop: Loop) throws {
        try super.init(loop: loop, type: UV_TIMER, "uv_timer_init") { memory in
            uv_timer_init(loop.raw, memory.assumingMemoryBound(to: uv_timer_t.self))
        }
    }

    var timer: UnsafeMutablePointer<uv_timer_t> { UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_timer_t.self) }

    /// Fires `callback` after `timeout` ms, then every `repeatInterval` ms when non-zero.
    public func start(after timeout: UInt64, repeating repeatInterval: UInt64 = 0, _ callback: @escaping () -> Void) throws {
        self.callback = callback
        try UVError.check(uv_timer_start(timer, timerCallback, timeout, repeatInterval), "uv_timer_start")
    }

    public func stop() {
        uv_timer_stop(timer)
        callback = nil
    }

    /// A repeating timer does not keep the loop alive on its own (`uv_unref`): housekeeping timers
    /// must not prevent the loop from ending once real work is gone.
    public func doNotKeepLoopAlive() { uv_unref(handle) }

    fileprivate func fire() { callback?() }

    override func didClose() { callback = nil }
}

private let timerCallback: uv_timer_cb = { timer in
    guard let timer, timer.pointee.data != nil else { return }
    Handle.withOwner(UnsafeMutableRawPointer(timer), as: LoopTimer.self) { $0.fire() }
}
