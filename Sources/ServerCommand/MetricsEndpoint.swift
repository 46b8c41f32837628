import Glibc
import HTTPServerCore
import Logging
import Prometheus
import Supervisor
import UVLoop
import WSGIServer

/// `--metrics-bind ADDRESS`: metrics in Prometheus's text format, on a listener of its own (so
/// that the application's address never exposes them), served by a one-loop ``WSGIHTTPServer`` on
/// a thread of its own. Any path answers; scrape `/metrics`. In a server on its own the figures are
/// its ``ServerMetrics``; in a master, its ``WorkerMetricsBoard`` (the workers' sums and series).
final class MetricsEndpoint: Sendable {
    /// The metrics a server on its own reports to; nil in a master.
    let metrics: ServerMetrics?
    private let server: WSGIHTTPServer
    private let thread: UVThread

    /// For a server on its own: binds `address` (throws when it cannot).
    convenience init(address: ListenAddress, logger: Logger) throws {
        let registry = PrometheusCollectorRegistry()
        try self.init(address: address, logger: logger, metrics: ServerMetrics(factory: PrometheusMetricsFactory(registry: registry))) {
            var text: [UInt8] = []
            registry.emit(into: &text)
            return text
        }
    }

    /// For a master: serves `board`.
    convenience init(address: ListenAddress, logger: Logger, board: WorkerMetricsBoard) throws {
        try self.init(address: address, logger: logger, metrics: nil) { Array(board.render().utf8) }
    }

    private init(address: ListenAddress, logger: Logger, metrics: ServerMetrics?, render: @escaping @Sendable () -> [UInt8]) throws {
        self.metrics = metrics
        var configuration = ServerConfiguration()
        configuration.listeners = [address]
        configuration.logger = logger
        configuration.forwardedAllowIPs = .none
        server = try WSGIHTTPServer(configuration: configuration) { _, startResponse in
            let body = Bytes(render())
            try startResponse("200 OK", [("Content-Type", "text/plain; version=0.0.4; charset=utf-8"), ("Content-Length", "\(body.count)")])
            return [body]
        }
        let server = self.server
        // The thread starts with every signal blocked, so that the process's stop signals keep
        // going to the thread that waits for them (a thread inherits its creator's mask).
        var all = sigset_t()
        var previous = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_BLOCK, &all, &previous)
        thread = UVThread.start { server.serveForever() }
        pthread_sigmask(SIG_SETMASK, &previous, nil)
    }

    /// Where it listens.
    var addresses: [ListenerAddress] { server.listeningAddresses }

    /// Stops serving and waits for the thread.
    func stop() {
        server.shutdown(graceful: false)
        thread.join()
    }
}
