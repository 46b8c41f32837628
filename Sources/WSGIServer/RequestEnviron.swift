import HTTP1Parser
import HTTPServerCore
import WSGI
import WSGIGateway

/// The environ of one request (PEP 3333 "environ Variables"), computed when read. Every key is
/// listed in docs/ENVIRON.md.
///
/// Building thirty strings and a dictionary for every request costs more than most applications'
/// work, and most read a handful of keys; so this keeps a copy of the request head (its bytes and the
/// parser's field table) and computes an entry when it is asked for, with the one CGI mapping of
/// ``CGIVariables``. Deployer entries fill only keys the request left unset.
///
/// Recycled: a connection's gateway reloads the same object for its next request (no allocation)
/// when nothing else holds it any more; an application that kept its environ keeps it intact, and the
/// next request gets a new object.
///
/// `@unchecked Sendable` is sound: the mutable state is written only by `init` and ``load(_:)``, on
/// the loop thread, while the gateway holds the only reference (checked with
/// `isKnownUniquelyReferenced`); from the moment it is handed to the application until that
/// reference is the only one again, it is only read, from any thread.
final class RequestEnviron: EnvironSource, @unchecked Sendable {
    private let gateway: GatewayContext
    private let connection: ConnectionInfo
    private let server: ServerInfo
    private var body: RequestBody
    /// The parsed head, with a field table of its own; its ranges are offsets into `bytes`.
    private var head: RequestHead
    /// The head's bytes: the connection's buffer is reused for the next request.
    private var bytes: UnsafeMutableRawPointer
    private var capacity: Int
    private var count = 0

    init(_ request: borrowing IncomingRequest, gateway: GatewayContext) {
        self.gateway = gateway
        connection = request.connection
        server = request.server
        body = request.body
        var head = request.head
        head.fields = []
        self.head = head
        capacity = max(256, request.bytes.count)
        bytes = .allocate(byteCount: capacity, alignment: 16)
        load(request)
    }

    deinit { bytes.deallocate() }

    /// Makes this the environ of `request` (same connection). Only while nothing else holds it.
    func load(_ request: borrowing IncomingRequest) {
        head.assign(request.head)
        body = request.body
        if request.bytes.count > capacity {
            bytes.deallocate()
            capacity = request.bytes.count
            bytes = .allocate(byteCount: capacity, alignment: 16)
        }
        count = request.bytes.count
        if count > 0 { bytes.copyMemory(from: request.bytes.baseAddress!, byteCount: count) }
    }

    private var variables: CGIVariables {
        CGIVariables(
            head: head, bytes: UnsafeRawBufferPointer(start: bytes, count: count),
            connection: connection, server: server, scriptName: gateway.mountPoint
        )
    }

    func value(forKey key: String) -> EnvironValue? {
        if let value = requestValue(forKey: key) { return value }
        return gateway.extra[key].map(EnvironValue.string)
    }

    /// The entries the request itself sets (before deployer entries).
    private func requestValue(forKey key: String) -> EnvironValue? {
        if let variable = CGIVariable(name: key) {
            return variables.withValue(of: variable) { .string(Latin1.string($0)) }
        }
        if key.utf8.starts(with: "HTTP_".utf8) {
            return variables.withHeaderValue(forKey: key) { .string(Latin1.string($0)) }
        }
        switch key {
        case "wsgi.version": return .version(major: 1, minor: 0)
        case "wsgi.url_scheme": return .string(server.urlScheme)
        case "wsgi.input": return .input(body)
        case "wsgi.errors": return .errors(gateway.errors)
        case "wsgi.multithread": return .bool(server.multithread)
        case "wsgi.multiprocess": return .bool(server.multiprocess)
        case "wsgi.run_once": return .bool(false)
        // Our input always ends exactly at the end of the body, de-chunked or not.
        case "wsgi.input_terminated": return .bool(true)
        case "wsgi.file_wrapper": return GatewayContext.fileWrapper
        default: return nil
        }
    }

    var keys: [String] {
        var keys: [String] = []
        variables.forEach { name, _ in
            switch name {
            case .variable(let variable): keys.append(variable.name)
            case .header(let fieldName): keys.append(CGIVariables.headerKey(fieldName: fieldName))
            }
        }
        keys += RequestEnviron.wsgiKeys
        let set = Set(keys)
        keys += gateway.extra.keys.filter { !set.contains($0) }
        return keys
    }

    private static let wsgiKeys = [
        "wsgi.version", "wsgi.url_scheme", "wsgi.input", "wsgi.errors", "wsgi.multithread",
        "wsgi.multiprocess", "wsgi.run_once", "wsgi.input_terminated", "wsgi.file_wrapper",
    ]
}
