import HTTPServerCore
import Logging
import WSGI
import WSGIGateway

/// The WSGI gateway for Swift applications: the ``Responder`` that gives every connection a
/// ``ConnectionGateway``.
struct Gateway: Responder {
    let context: GatewayContext

    func handler(for connection: ConnectionInfo, on server: ServerInfo) -> any RequestHandler {
        ConnectionGateway(
            context: context, recycles: server.applicationThreads == 0,
            cgi: CGIContext(connection: connection, server: server, mountPoint: context.mountPoint)
        )
    }
}

/// The requests of one connection, each turned into a ``WSGIExchange``.
///
/// When applications run on the loop thread, the connection's exchange (and its environ) is reused
/// for the next request as soon as nothing else holds it: a keep-alive connection then costs no
/// allocation per request. An application that kept its `start_response`, `write` or environ keeps
/// them working; the next request simply gets a new exchange. With application threads every request
/// gets a new one (the last reference may be dropped on a pool thread: reusing would need that
/// thread's release ordered before the loop's writes, which a uniqueness check does not give).
///
/// Loop thread only (``accept(_:)``).
final class ConnectionGateway: RequestHandler {
    private let context: GatewayContext
    private let recycles: Bool
    private let cgi: CGIContext
    private var exchange: WSGIExchange?

    init(context: GatewayContext, recycles: Bool, cgi: CGIContext) {
        self.context = context
        self.recycles = recycles
        self.cgi = cgi
    }

    func accept(_ request: borrowing IncomingRequest) -> any ResponseSource {
        guard recycles else { return WSGIExchange(request, context: context, cgi: cgi) }
        // Checked before any other reference to it exists in this scope.
        if isKnownUniquelyReferenced(&exchange), let exchange {
            exchange.reuse(for: request)
            return exchange
        }
        let fresh = WSGIExchange(request, context: context, cgi: cgi)
        exchange = fresh
        return fresh
    }
}

/// What every request of one server shares.
final class GatewayContext: Sendable {
    let application: Application
    /// SCRIPT_NAME of the mounted application ("" at the root), as ISO-8859-1 bytes.
    let mountPoint: Bytes
    /// Deployer entries for every environ.
    let extra: [String: String]
    let errors: ErrorLog
    let logger: Logger

    static let fileWrapper = EnvironValue.fileWrapper(FileWrapperFactory())

    init(application: @escaping Application, scriptName: String, extra: [String: String], logger: Logger) {
        self.application = application
        mountPoint = Bytes(latin1: scriptName) ?? Bytes(utf8: scriptName)
        self.extra = extra
        self.errors = ErrorLog(logger: logger)
        self.logger = logger
    }
}
