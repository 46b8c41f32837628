import Foundation
import Synchronization
import Logging
import Testing
import WSGIServer

/// A server on 127.0.0.1 and a free port, run in this process on its own thread, for tests.
/// ``stop()`` shuts it down, waits until every loop has ended, and checks that each closed cleanly
/// (no libuv handle left open): every live-server test ends with that check.
public final class TestServer: @unchecked Sendable {
    // @unchecked: `server` is immutable and Sendable; `thread`/`finished` are written once by
    // `init` before the object is shared and read by `stop()`, which waits on the semaphore the
    // serving thread signals last.
    public let server: WSGIHTTPServer
    private let finished = DispatchSemaphore(value: 0)
    /// Whether `finished` was consumed (the semaphore is signalled once).
    private let stoppedState = Mutex(false)

    public var port: Int { server.port }

    /// - Parameters:
    ///   - scriptName, environ: passed to ``WSGIHTTPServer/init(configuration:scriptName:environ:app:)``
    ///     (a mount point and deployer-supplied environ entries).
    public init(
        app: @escaping Application, logger: Logger = TestServer.quietLogger(),
        scriptName: String = "", environ: [String: String] = [:],
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) throws {
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.logger = logger
        configure(&configuration)
        server = try WSGIHTTPServer(configuration: configuration, scriptName: scriptName, environ: environ, app: app)
        let server = self.server
        let finished = self.finished
        Thread.detachNewThread {
            server.serveForever()
            finished.signal()
        }
    }

    /// Stops the server (at once unless `graceful`) and checks that it stopped with every event
    /// loop closed cleanly. Idempotent.
    public func stop(graceful: Bool = false, timeout: Double = 10, sourceLocation: SourceLocation = #_sourceLocation) {
        server.shutdown(graceful: graceful)
        _ = waitUntilStopped(timeout: timeout, sourceLocation: sourceLocation)
    }

    /// Waits for the server to stop by itself (after a shutdown triggered elsewhere); checks, as
    /// ``stop(graceful:timeout:sourceLocation:)`` does, that its loops closed cleanly.
    @discardableResult
    public func waitUntilStopped(timeout: Double = 10, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let stopped = stoppedState.withLock { stopped -> Bool in
            if !stopped { stopped = finished.wait(timeout: .now() + timeout) == .success }
            return stopped
        }
        #expect(stopped, "the server did not stop within \(timeout) s", sourceLocation: sourceLocation)
        if stopped {
            #expect(server.closedCleanly, "an event loop did not close cleanly (a libuv handle was left open)", sourceLocation: sourceLocation)
        }
        return stopped
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
