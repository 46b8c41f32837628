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
/// Recycled: the loop's exchanges reload the same object for a later request (no allocation) when
/// nothing else holds it any more; an application that kept its environ keeps it intact, and the
/// next request gets a new object.
///
/// `@unchecked Sendable` is sound: the mutable state is written only by `init` and ``load(_:)``, on
/// the loop thread, while its exchange holds the only reference (checked with
/// `isKnownUniquelyReferenced`); from the moment it is handed to the application until that
/// reference is the only one again, it is only read, from any thread.
final class RequestEnviron: EnvironSource, @unchecked Sendable {
    private let gateway: GatewayContext
    // Unchecked exclusivity: see the Sendable argument above (written only while unshared).
    /// The request's connection.
    @exclusivity(unchecked) private var cgi: CGIContext
    /// The request body; nil when the request has none.
    @exclusivity(unchecked) private var body: RequestBody?
    /// The head, copied: the connection and the parser reuse theirs for the next request.
    @exclusivity(unchecked) private var copy: RequestHeadCopy
    /// Its CGI variables.
    @exclusivity(unchecked) private var variables: CGIVariables

    init(_ request: borrowing IncomingRequest, gateway: GatewayContext, cgi: CGIContext) {
        self.gateway = gateway
        self.cgi = cgi
        body = request.body
        copy = RequestHeadCopy(request)
        variables = copy.variables(context: cgi)
    }

    /// Makes this the environ of `request`, of the connection `cgi` describes. Only while nothing
    /// else holds it.
    func load(_ request: borrowing IncomingRequest, cgi: CGIContext) {
        // Most requests come from the connection before: no reference to count.
        if cgi !== self.cgi { self.cgi = cgi }
        body = request.body
        copy.load(request)
        variables = copy.variables(context: cgi)
    }

    func value(forKey key: String) -> EnvironValue? {
        if let text = requestString(forKey: key) { return .string(text) }
        if let value = wsgiValue(forKey: key) { return value }
        return connectionString(forKey: key).map(EnvironValue.string)
    }

    /// What `environ[key]` reads, without building an `EnvironValue`.
    func string(forKey key: String) -> String? {
        requestString(forKey: key) ?? wsgiValue(forKey: key)?.stringValue ?? connectionString(forKey: key)
    }

    /// A TLS connection's variable, else a deployer entry.
    private func connectionString(forKey key: String) -> String? {
        if let variable = cgi.securityVariables.first(where: { $0.name == key }) { return variable.value }
        return gateway.extra[key]
    }

    /// A CGI variable the request sets (before deployer entries).
    private func requestString(forKey key: String) -> String? {
        var text: String?
        if let variable = CGIVariable(name: key) {
            variables.withValue(of: variable) { text = Latin1.string($0) }
        } else if key.utf8.starts(with: "HTTP_".utf8) {
            variables.withHeaderValue(forKey: key) { text = Latin1.string($0) }
        }
        return text
    }

    /// The `wsgi.*` entries.
    private func wsgiValue(forKey key: String) -> EnvironValue? {
        switch key {
        case "wsgi.version": return .version(major: 1, minor: 0)
        case "wsgi.url_scheme": return .string(variables.forwarded?.scheme ?? cgi.urlScheme)
        case "wsgi.input": return .input(body ?? RequestBody.empty)
        case "wsgi.errors": return .errors(gateway.errors)
        case "wsgi.multithread": return .bool(cgi.server.multithread)
        case "wsgi.multiprocess": return .bool(cgi.server.multiprocess)
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
        keys += cgi.securityVariables.map(\.name)
        let set = Set(keys)
        keys += gateway.extra.keys.filter { !set.contains($0) }
        return keys
    }

    private static let wsgiKeys = [
        "wsgi.version", "wsgi.url_scheme", "wsgi.input", "wsgi.errors", "wsgi.multithread",
        "wsgi.multiprocess", "wsgi.run_once", "wsgi.input_terminated", "wsgi.file_wrapper",
    ]
}
