import Synchronization
import UVLoop

/// The thread-safe side of a ``ServerLoop``: messages from other threads, and the wakeup that makes
/// the loop read them (`uv_async_send`, the one cross-thread door of a libuv loop).
final class LoopMailbox: Sendable {
    enum Message: Sendable {
        /// An application thread has news for this connection: a part, or a read of the request
        /// body that freed room or waits for `100 Continue`.
        case resume(connectionID: Int)
        case shutdown(graceful: Bool)
    }

    private let mail = Mutex<[Message]>([])
    private let sender: AsyncWakeup.Sender

    init(sender: AsyncWakeup.Sender) { self.sender = sender }

    /// Any thread.
    func post(_ message: Message) {
        mail.withLock { $0.append(message) }
        sender.send()
    }

    /// Loop thread: the messages posted since the last call, in order.
    func takeMail() -> [Message] {
        mail.withLock { mail in
            defer { mail.removeAll(keepingCapacity: true) }
            return mail
        }
    }
}
