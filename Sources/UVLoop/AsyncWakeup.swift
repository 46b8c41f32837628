import CLibUV
import Synchronization

/// A `uv_async_t`: the one door through which other threads wake a loop.
///
/// The loop side (this object) lives on the loop's thread. Other threads get its ``sender`` and call
/// `send()`; several sends before the loop wakes coalesce into one callback, so the callback drains
/// whatever queue the senders filled.
public final class AsyncWakeup: Handle {
    /// The thread-safe half of an ``AsyncWakeup``.
    ///
    /// `send()` after the wakeup was closed does nothing: the handle pointer is cleared under the
    /// lock before `uv_close`, so no thread can reach freed memory.
    public final class Sender: Sendable {
        /// The `uv_async_t` address as an integer (0 once disconnected), so the lock guards a plain
        /// value: the pointer is only ever formed and used inside the lock.
        private let target: Mutex<UInt>

        init(_ target: UnsafeMutablePointer<uv_async_t>) { self.target = Mutex(UInt(bitPattern: target)) }

        /// Wakes the loop (`uv_async_send`, safe from any thread).
        public func send() {
            target.withLock { address in
                guard let async = UnsafeMutablePointer<uv_async_t>(bitPattern: address) else { return }
                _ = uv_async_send(async)
            }
        }

        fileprivate func disconnect() { target.withLock { $0 = 0 } }
    }

    private var callback: (() -> Void)?
    public private(set) var sender: Sender!

    public init(loop: Loop, _ callback: @escaping () -> Void) throws {
        self.callback = callback
        try super.init(loop: loop, type: UV_ASYNC, "uv_async_init") { memory in
            uv_async_init(loop.raw, memory.assumingMemoryBound(to: uv_async_t.self), asyncCallback)
        }
        sender = Sender(UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_async_t.self))
    }

    /// Replaces the callback (for owners that can only refer to themselves once initialized).
    public func setCallback(_ callback: @escaping () -> Void) { self.callback = callback }

    fileprivate func fire() { callback?() }

    override func willClose() { sender.disconnect() }

    override func didClose() { callback = nil }
}

private let asyncCallback: uv_async_cb = { async in
    guard let async, async.pointee.data != nil else { return }
    Handle.withOwner(UnsafeMutableRawPointer(async), as: AsyncWakeup.self) { $0.fire() }
}
