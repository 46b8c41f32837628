import HTTPServerCore
import Logging
import WSGI
import WSGIGateway

/// The WSGI gateway for Swift applications: the ``Responder`` that gives every connection a
/// ``ConnectionGateway``.
struct Gateway: Responder {
    let context: GatewayContext

    func handler(for connection: ConnectionInfo, on server: ServerInfo, loop: LoopScope) -> any RequestHandler {
        ConnectionGateway(
            context: context,
            pool: server.applicationThreads == 0 ? loop.shared { ExchangePool<WSGIExchange>() } : nil,
            cgi: CGIContext(connection: connection, server: server, mountPoint: context.mountPoint)
        )
    }
}

/// The requests of one connection, each turned into a ``WSGIExchange``; when applications run on
/// the loop thread, exchanges (and their environs) come from the loop's ``ExchangePool``.
///
/// Loop thread only (``accept(_:)``).
final class ConnectionGateway: RequestHandler {
    private let context: GatewayContext
    /// The loop's exchanges; nil with application threads (each request makes its own).
    private let pool: ExchangePool<WSGIExchange>?
    private let cgi: CGIContext

    init(context: GatewayContext, pool: ExchangePool<WSGIExchange>?, cgi: CGIContext) {
        self.context = context
        self.pool = pool
        self.cgi = cgi
    }

    func accept(_ request: borrowing IncomingRequest) -> any ResponseSource {
        guard let pool else { return WSGIExchange(request, context: context, cgi: cgi) }
        return pool.next(reset: { $0.reuse(for: request, cgi: cgi) }, make: { WSGIExchange(request, context: context, cgi: cgi) })
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
