@_exported import WSGI
import HTTPServerCore
import Logging
import ServiceLifecycle
import UVLoop

/// What an embedder configures: address, concurrency, limits, timeouts, logging. (The server core's
/// configuration type, named here so that `import WSGIServer` is all an embedder needs.)
public typealias ServerConfiguration = HTTPServerCore.ServerConfiguration
/// Where a server listens (`ServerConfiguration.listeners`).
public typealias ListenAddress = HTTPServerCore.ListenAddress
/// The proxies whose forwarding headers count (`ServerConfiguration.forwardedAllowIPs`).
public typealias ForwardedAllowList = HTTPServerCore.ForwardedAllowList
/// The access log (`ServerConfiguration.accessLog`) and its line format.
public typealias AccessLog = HTTPServerCore.AccessLog
public typealias AccessLogFormat = HTTPServerCore.AccessLogFormat
/// The server's swift-metrics (`ServerConfiguration.metrics`).
public typealias ServerMetrics = HTTPServerCore.ServerMetrics

/// A WSGI server: any `Application` served over HTTP/1.1 on libuv.
///
/// Named apart from its module, so that module-qualified names (`WSGIServer.makeServer(...)`,
/// `WSGIServer.Bytes`) resolve. It was called `WSGIServer` until 0.3; no alias keeps that name,
/// because any declaration named like the module hides the module's other names again.
///
/// ```swift
/// let httpd = try makeServer(host: "127.0.0.1", port: 8051, app: application)
/// httpd.serveForever()
/// ```
///
/// Embedded in a Swift service, it is a swift-service-lifecycle `Service`: add it to a
/// `ServiceGroup`, which then owns signals; graceful shutdown drains in-flight requests, task
/// cancellation closes everything at once.
public final class WSGIHTTPServer: Service, Sendable {
    private let core: HTTPServer

    /// Binds at once (like Python's `make_server`): bind errors are thrown here, and ``port`` is the
    /// real port when 0 was asked for.
    /// - Parameters:
    ///   - configuration: address, concurrency, limits, timeouts, logging.
    ///   - scriptName: SCRIPT_NAME of the application (its mount point); "" at the root.
    ///   - environ: extra string entries put in every environ (deployment settings).
    ///   - app: the application.
    public init(configuration: ServerConfiguration, scriptName: String = "", environ: [String: String] = [:], app: @escaping Application) throws {
        let gateway = Gateway(context: GatewayContext(
            application: app, scriptName: scriptName, extra: environ, logger: configuration.logger
        ))
        core = try HTTPServer(configuration: configuration, responder: gateway)
    }

    /// The host of the first TCP address the server is bound to ("" when it listens on unix
    /// sockets only).
    public var host: String { core.localAddress.host }
    /// The port of the first TCP address the server is bound to (the real one when 0 was asked
    /// for; 0 when it listens on unix sockets only).
    public var port: Int { core.localAddress.port }
    /// Every address the server listens on, in the configured order.
    public var listeningAddresses: [ListenerAddress] { core.listeningAddresses }

    /// Serves until ``shutdown(graceful:)``; the calling thread runs the (first) event loop.
    public func serveForever() { core.serveForever() }

    /// Stops serving. Graceful (the default): stop accepting, let in-flight requests finish within
    /// the graceful timeout, close idle connections. Not graceful, or a second call: close everything
    /// now. Safe from any thread, including from an application.
    public func shutdown(graceful: Bool = true) { core.shutdown(graceful: graceful) }

    /// Loads the TLS files again for new connections (see ``HTTPServer/reloadTLS()``).
    @discardableResult
    public func reloadTLS() -> Bool { core.reloadTLS() }

    /// The lifecycle, logged on each transition.
    public typealias State = HTTPServer.State

    /// The lifecycle state.
    public var state: State { core.state }

    /// Once stopped: true when every event loop closed with no libuv handle left open.
    public var closedCleanly: Bool { core.closedCleanly }

    /// `Service.run`: serves until the service group shuts down gracefully (then in-flight requests
    /// finish) or the task is cancelled (then connections close at once).
    public func run() async throws {
        let core = self.core
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await core.run()
            } onGracefulShutdown: {
                core.shutdown(graceful: true)
            }
        } onCancel: {
            core.shutdown(graceful: false)
        }
    }
}

/// Python's `wsgiref.simple_server.make_server(host, port, app)`: a bound server for `app`.
///
/// `host` and `port` replace the listeners of `configuration` (to listen on several addresses or on
/// unix sockets, set `ServerConfiguration.listeners` and call ``WSGIHTTPServer/init(configuration:scriptName:environ:app:)``).
public func makeServer(host: String, port: Int, app: @escaping Application, configuration: ServerConfiguration? = nil) throws -> WSGIHTTPServer {
    var configuration = configuration ?? ServerConfiguration()
    configuration.listeners = [.tcp(host: host, port: port)]
    return try WSGIHTTPServer(configuration: configuration, app: app)
}

/// ``makeServer(host:port:app:configuration:)`` for an application written as a type.
public func makeServer(host: String, port: Int, app: some WSGIApplication, configuration: ServerConfiguration? = nil) throws -> WSGIHTTPServer {
    try makeServer(host: host, port: port, app: app.application, configuration: configuration)
}
