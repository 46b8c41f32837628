import HTTP1Parser
import SharedBytes
import StaticContent

/// A directory the server serves itself under a URL prefix (`--static /static=./static`), without
/// calling the application: a request below the prefix that names a file there gets it (the rules
/// are ``StaticDirectory``'s); one that names no file falls through to the application, so a
/// prefix the application also serves keeps working.
public struct StaticMount: Sendable {
    /// The prefix without a trailing slash (`/static`; empty for the whole site).
    public let prefix: String
    public let directory: StaticDirectory
    private let prefixBytes: [UInt8]

    public init(prefix: String, directory: StaticDirectory) {
        var prefix = prefix
        while prefix.hasSuffix("/") { prefix.removeLast() }
        self.prefix = prefix
        self.directory = directory
        prefixBytes = Array(prefix.utf8)
    }

    /// The path below the prefix, when the decoded `path` lies under it.
    func relativePath(_ path: UnsafeRawBufferPointer) -> [UInt8]? {
        guard path.starts(with: prefixBytes),
              path.count == prefixBytes.count || path[prefixBytes.count] == UInt8(ascii: "/") else { return nil }
        return Array(path[prefixBytes.count...])
    }

    /// The server's response to `request` from the first of `mounts` with a file for it; nil when
    /// none has one (the application answers). Loop thread: it looks at the file system there.
    static func response(for request: borrowing IncomingRequest, mounts: [StaticMount]) -> (any ResponseSource)? {
        let head = request.head
        let bytes = request.bytes
        var answer: StaticAnswer?
        PercentDecoding.withDecoded(UnsafeRawBufferPointer(rebasing: bytes[head.path])) { path in
            for mount in mounts {
                guard let relative = mount.relativePath(path) else { continue }
                let field = { (name: StaticString) -> String? in
                    head.fields.first { ASCIICase.equal(UnsafeRawBufferPointer(rebasing: bytes[$0.name]), lowercase: name) }
                        .map { String(decoding: UnsafeRawBufferPointer(rebasing: bytes[$0.value]), as: UTF8.self) }
                }
                let facts = StaticRequest(
                    method: String(decoding: UnsafeRawBufferPointer(rebasing: bytes[head.method]), as: UTF8.self), path: relative,
                    ifNoneMatch: field("if-none-match"), ifModifiedSince: field("if-modified-since"),
                    range: field("range"), acceptEncoding: field("accept-encoding")
                )
                answer = mount.directory.answer(facts)
                if answer != nil { return }
            }
        }
        return answer.flatMap(StaticFileResponse.init(answer:))
    }
}
