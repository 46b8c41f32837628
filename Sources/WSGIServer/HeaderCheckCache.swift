import Synchronization
import WSGI

/// The last headers list `start_response` accepted, with what checking it found.
///
/// An application that passes the same list object again (a constant response, a framework's
/// shared default headers) gets the same answer without redoing the work. The list is kept here,
/// so the application cannot change it in place: its next mutation copies it (copy-on-write), and
/// the copy has another identity. One entry, shared by the server's threads under a lock.
final class HeaderCheckCache: Sendable {
    struct Checked: Sendable {
        var code: Int
        var contentLength: Int?
        var hasDate: Bool
        var hasServer: Bool
    }

    private struct Entry: Sendable {
        let status: String
        let headers: ResponseHeaders
        let identity: UInt
        let checked: Checked
    }

    private let last = Mutex<Entry?>(nil)

    /// What checking `status` and `headers` found last time, when `headers` is the same list object.
    func lookup(status: String, headers: ResponseHeaders) -> Checked? {
        let identity = Self.identity(of: headers)
        return last.withLock { entry in
            guard let entry, entry.identity == identity, entry.status == status else { return nil }
            return entry.checked
        }
    }

    func store(status: String, headers: ResponseHeaders, checked: Checked) {
        let entry = Entry(status: status, headers: headers, identity: Self.identity(of: headers), checked: checked)
        last.withLock { $0 = entry }
    }

    private static func identity(of headers: ResponseHeaders) -> UInt {
        headers.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
    }
}
