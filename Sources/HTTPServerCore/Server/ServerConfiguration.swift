import HTTP1Parser
import Logging

/// Everything a server can be told, with the defaults an experienced gunicorn or Node user expects.
/// A value type: build it, adjust fields, hand it to the server.
public struct ServerConfiguration: Sendable {
    /// Address to listen on: an IPv4/IPv6 literal or a resolvable name.
    public var host: String
    /// Port to listen on; 0 picks a free one (read the real one from the server once bound).
    public var port: Int
    /// Pending connections the kernel may queue before `accept` (gunicorn's `backlog`).
    public var backlog: Int32 = 2048

    /// Event-loop threads, each with its own listener on the same address (`SO_REUSEPORT`).
    public var loops: Int = 1
    /// Application threads (gunicorn's `threads`). 0 runs the application on the loop thread: the
    /// fastest choice for applications that never block. With N > 0 the application runs on a pool
    /// of N threads and `wsgi.multithread` is true.
    public var threads: Int = 0
    /// True when other processes run the same application (`wsgi.multiprocess`); set for the
    /// workers of a supervisor.
    public var multiprocess: Bool = false

    /// Request-line, header and body limits, and the parser's leniencies (all off by default).
    public var limits = ParserLimits()
    public var leniencies: Leniencies = []

    /// The timeouts; each one that fires is logged by name.
    public var timeouts = Timeouts()

    /// Connections served at once per process; above it the server stops accepting until one
    /// closes (clients wait in the kernel backlog).
    public var maxConnections: Int = 10_000

    /// Request bodies up to this size are held in memory; larger ones are spooled to an unlinked
    /// temporary file in ``spoolDirectory``.
    public var bodyMemoryThreshold: Int = 1 << 20
    /// Where large request bodies are spooled (`TMPDIR` when nil, else /tmp).
    public var spoolDirectory: String? = nil

    /// Unconsumed pipelined input held per connection while a response is in progress; beyond it
    /// the server stops reading that connection until the response is done.
    public var maxBufferedInput: Int = 128 * 1024

    /// How long shutdown waits for in-flight requests before closing them (gunicorn's
    /// `graceful_timeout`).
    public var gracefulTimeout: Duration = .seconds(30)

    /// A listening socket to serve instead of binding ``host``:``port`` (inherited from a
    /// supervising process). Several loops each watch a duplicate of it.
    public var listeningDescriptor: Int32? = nil

    /// Told before each loop waits for I/O (see ``LoopObserver``): for application runtimes with a
    /// global lock. nil: nothing to tell.
    public var loopObserver: (any LoopObserver)? = nil

    /// Set by a supervising process when this server is one of its workers: heartbeats, a
    /// request budget (see ``ServerMonitor``). nil for a server on its own.
    public var monitor: (any ServerMonitor)? = nil

    /// The `Server` response header and `SERVER_SOFTWARE`.
    public var serverSoftware: String = "swift-wsgi/0.1"
    /// `wsgi.url_scheme` (set to "https" behind a TLS-terminating proxy that you trust).
    public var urlScheme: String = "http"
    /// The peers whose `X-Forwarded-For`, `X-Forwarded-Proto` and `Forwarded` headers set
    /// `REMOTE_ADDR` and `wsgi.url_scheme` (gunicorn's `forwarded_allow_ips`; its default).
    public var forwardedAllowIPs: ForwardedAllowList = .loopback

    /// Where the server logs (errors, lifecycle, debug details of each connection problem).
    public var logger: Logger = Logger(label: "wsgi.server")
    /// One `info` record per response with method, path, status, bytes and duration, when set.
    public var accessLogger: Logger? = nil

    public init(host: String = "127.0.0.1", port: Int = 8000) {
        self.host = host
        self.port = port
    }

    /// The timeouts, each a separate setting as in Node's `http.Server`.
    public struct Timeouts: Sendable {
        /// From the first byte of a request to the end of its head (slowloris defence): 408 when it
        /// fires. Also the time a new connection may stay silent. Reset for every keep-alive request.
        public var headerRead: Duration = .seconds(30)
        /// Longest silence between two pieces of a request body.
        public var bodyRead: Duration = .seconds(60)
        /// How long an idle keep-alive connection stays open. Above the usual load-balancer idle
        /// timeouts (AWS ALB 60 s) so the proxy, not the server, closes idle connections.
        public var keepAliveIdle: Duration = .seconds(75)
        /// Longest time a response write may wait on a client that does not read.
        public var write: Duration = .seconds(60)
        /// After a response with `Connection: close` (or an error), how long the server keeps
        /// reading and discarding before closing, so the client receives the response instead of
        /// a reset (nginx's lingering close).
        public var lingeringClose: Duration = .seconds(2)

        public init() {}
    }
}
