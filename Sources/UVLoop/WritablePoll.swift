import CLibUV
import Glibc

/// Waits until a socket can take more bytes (`uv_poll_t`), for writes libuv does not perform
/// itself, such as `sendfile(2)`. Owned by the ``SocketStream`` it watches (see
/// ``SocketStream/notifyWhenWritable()``).
///
/// libuv already watches the socket's descriptor for reads and a descriptor can be polled by one
/// handle only, so this polls a `dup` of it (the same socket): the duplicate is owned here and
/// closed in the close callback. Thread: the loop's thread only.
final class WritablePoll: Handle {
    private let descriptor: Int32
    private var callback: ((UVError?) -> Void)?

    /// Polls a duplicate of `socket`.
    init(loop: Loop, socket: Int32) throws {
        let duplicate = dup(socket)
        guard duplicate >= 0 else { throw UVError(-errno, "dup") }
        descriptor = duplicate
        do {
            try super.init(loop: loop, type: UV_POLL, "uv_poll_init_socket") { memory in
                uv_poll_init_socket(loop.raw, memory.assumingMemoryBound(to: uv_poll_t.self), duplicate)
            }
        } catch {
            Glibc.close(duplicate)
            throw error
        }
    }

    var poll: UnsafeMutablePointer<uv_poll_t> { UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_poll_t.self) }

    /// Calls `callback` once, when the socket is writable (or the poll failed).
    func whenWritable(_ callback: @escaping (UVError?) -> Void) throws {
        self.callback = callback
        try UVError.check(uv_poll_start(poll, Int32(UV_WRITABLE.rawValue), pollCallback), "uv_poll_start")
    }

    fileprivate func fire(_ status: Int32) {
        uv_poll_stop(poll)
        let callback = self.callback
        self.callback = nil
        callback?(status < 0 ? UVError(status, "poll") : nil)
    }

    override func didClose() {
        callback = nil
        Glibc.close(descriptor)
    }
}

private let pollCallback: uv_poll_cb = { poll, status, _ in
    guard let poll, poll.pointee.data != nil else { return }
    Handle.owner(UnsafeMutableRawPointer(poll), as: WritablePoll.self).fire(status)
}
