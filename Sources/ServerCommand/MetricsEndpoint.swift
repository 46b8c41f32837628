import Glibc
import HTTPServerCore
import Logging
import Prometheus
import UVLoop
import WSGIServer

/// `--metrics-bind ADDRESS`: the server's ``ServerMetrics`` in Prometheus's text format, on a
/// listener of its own (so that the application's address never exposes them), served by a
/// one-loop ``WSGIHTTPServer`` on a thread of its own. Any path answers; scrape `/metrics`.
final class MetricsEndpoint: Sendable {
    let metrics: ServerMetrics
    private let server: WSGIHTTPServer
    private let thread: UVThread

    /// Binds `address` (throws when it cannot).
    init(address: ListenAddress, logger: Logger) throws {
        let registry = PrometheusCollectorRegistry()
        metrics = ServerMetrics(factory: PrometheusMetricsFactory(registry: registry))
        var configuration = ServerConfiguration()
        configuration.listeners = [address]
        configuration.logger = logger
        configuration.forwardedAllowIPs = .none
        server = try WSGIHTTPServer(configuration: configuration) { _, startResponse in
            var text: [UInt8] = []
            registry.emit(into: &text)
            let body = Bytes(text)
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
