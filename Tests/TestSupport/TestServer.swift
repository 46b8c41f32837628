import Foundation
import Logging
import WSGIServer

/// A server on 127.0.0.1 and a free port, run in this process on its own thread, for tests.
/// ``stop()`` shuts it down and waits until every loop has ended.
public final class TestServer: @unchecked Sendable {
    // @unchecked: `server` is immutable and Sendable; `thread`/`finished` are written once by
    // `init` before the object is shared and read by `stop()`, which waits on the semaphore the
    // serving thread signals last.
    public let server: WSGIServer
    private let finished = DispatchSemaphore(value: 0)

    public var port: Int { server.port }

    /// - Parameters:
    ///   - scriptName, environ: passed to ``WSGIServer/init(configuration:scriptName:environ:app:)``
    ///     (a mount point and deployer-supplied environ entries).
    public init(
        app: @escaping Application, logger: Logger = TestServer.quietLogger(),
        scriptName: String = "", environ: [String: String] = [:],
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) throws {
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.logger = logger
        configure(&configuration)
        server = try WSGIServer(configuration: configuration, scriptName: scriptName, environ: environ, app: app)
        let server = self.server
        let finished = self.finished
        Thread.detachNewThread {
            server.serveForever()
            finished.signal()
        }
    }

    /// A server running `app` wrapped in the Validator... (see ConformanceTests).
    public func stop(graceful: Bool = false, timeout: Double = 10) {
        server.shutdown(graceful: graceful)
        _ = finished.wait(timeout: .now() + timeout)
    }

    /// Waits for the server to stop by itself (after a shutdown triggered elsewhere).
    public func waitUntilStopped(timeout: Double = 10) -> Bool {
        finished.wait(timeout: .now() + timeout) == .success
    }

    public func client() throws -> RawClient { try RawClient(port: port) }

    /// Sends `request` on a new connection and reads one response.
    public func request(_ request: String) throws -> HTTPResponse {
        let client = try client()
        try client.send(request)
        return try client.readResponse(head: request.hasPrefix("HEAD "))
    }

    public static func quietLogger() -> Logger {
        var logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        logger.logLevel = .critical
        return logger
    }
}
