import HTTP1Parser
import Logging
import TLS

/// Everything a server can be told, with the defaults an experienced gunicorn or Node user expects.
/// A value type: build it, adjust fields, hand it to the server.
public struct ServerConfiguration: Sendable {
    /// Where to listen, in order (gunicorn's `bind`): TCP addresses, unix sockets, inherited
    /// descriptors. Every loop serves every one.
    public var listeners: [ListenAddress]
    /// Pending connections the kernel may queue before `accept` (gunicorn's `backlog`).
    public var backlog: Int32 = 2048
    /// The umask under which unix sockets are created: their file mode is 0777 minus it
    /// (gunicorn's `umask`, whose default 0 lets any local user connect).
    public var unixSocketUmask: UInt32 = 0

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
    /// How an application on the loop thread (``threads`` 0) receives a body that may exceed
    /// ``bodyMemoryThreshold``. (On application threads every body streams.)
    public var loopThreadBodies: LoopThreadBodies = .spooled

    /// Unconsumed pipelined input held per connection while a response is in progress; beyond it
    /// the server stops reading that connection until the response is done.
    public var maxBufferedInput: Int = 128 * 1024

    /// How long shutdown waits for in-flight requests before closing them (gunicorn's
    /// `graceful_timeout`).
    public var gracefulTimeout: Duration = .seconds(30)

    /// Listening sockets inherited from a supervising process, one for each of ``listeners`` in
    /// order, served instead of binding them (empty: bind). Several loops each watch a duplicate.
    public var inheritedDescriptors: [Int32] = []

    /// Set by a supervising process when this server is one of its workers: heartbeats, a
    /// request budget (see ``ServerMonitor``). nil for a server on its own.
    public var monitor: (any ServerMonitor)? = nil

    /// The `Server` response header and `SERVER_SOFTWARE`.
    public var serverSoftware: String = "swift-wsgi/\(ServerVersion.current)"
    /// `wsgi.url_scheme` (set to "https" behind a TLS-terminating proxy that you trust; the
    /// server's own TLS connections are `https` whatever this says).
    public var urlScheme: String = "http"
    /// TLS on every listener (gunicorn's `certfile`, `keyfile`, ...); nil: plain HTTP.
    public var tls: TLSServerSettings? = nil
    /// HTTP/2 beside HTTP/1.1 (`--http2`): by ALPN on TLS listeners, by its preface on plain ones.
    public var http2 = HTTP2Configuration()
    /// Stamp each request with the time its first byte was read, as `X-Request-Start: t=MICROSECONDS`
    /// (New Relic's, Scout's and Sentry's queue time), unless a trusted proxy already set that header
    /// (`--request-start-header`).
    public var stampsRequestStart = false
    /// The path the server answers itself for load balancers (`--health-check-path`); nil: none.
    public var healthCheck: HealthCheck? = nil
    /// Directories the server serves itself under URL prefixes (`--static`), in order; a request
    /// naming no file there goes to the application.
    public var staticMounts: [StaticMount] = []
    /// How long a graceful stop keeps serving, the health check answering 503, before it stops
    /// accepting and drains (`--drain-delay`): the time a load balancer needs to stop routing here.
    public var drainDelay: Duration = .zero
    /// The peers whose `X-Forwarded-For`, `X-Forwarded-Proto` and `Forwarded` headers set
    /// `REMOTE_ADDR` and `wsgi.url_scheme` (gunicorn's `forwarded_allow_ips`; its default).
    public var forwardedAllowIPs: ForwardedAllowList = .loopback

    /// Where the server logs (errors, lifecycle, debug details of each connection problem).
    public var logger: Logger = Logger(label: "wsgi.server")
    /// One line per response, when set (gunicorn's access log; see ``AccessLog``).
    public var accessLog: AccessLog? = nil
    /// Connections, requests, statuses, durations, refusals and bytes, when set (see
    /// ``ServerMetrics``).
    public var metrics: ServerMetrics? = nil

    /// Listening on `host`:`port` (an IPv4/IPv6 literal or a resolvable name; port 0 picks a free
    /// one: read the real one from the server once bound).
    public init(host: String = "127.0.0.1", port: Int = 8000) {
        listeners = [.tcp(host: host, port: port)]
    }

    /// The host of the first TCP listener ("" when there is none). Setting it changes that
    /// listener (or adds one on port 8000).
    public var host: String {
        get { firstTCP?.host ?? "" }
        set { setFirstTCP(host: newValue, port: firstTCP?.port ?? 8000) }
    }

    /// The port of the first TCP listener (0 when there is none). Setting it changes that listener
    /// (or adds one on 127.0.0.1).
    public var port: Int {
        get { firstTCP?.port ?? 0 }
        set { setFirstTCP(host: firstTCP?.host ?? "127.0.0.1", port: newValue) }
    }

    private var firstTCP: (host: String, port: Int)? {
        for case .tcp(let host, let port) in listeners { return (host, port) }
        return nil
    }

    private mutating func setFirstTCP(host: String, port: Int) {
        if let index = listeners.firstIndex(where: { if case .tcp = $0 { true } else { false } }) {
            listeners[index] = .tcp(host: host, port: port)
        } else {
            listeners.insert(.tcp(host: host, port: port), at: 0)
        }
    }

    /// How an application on the loop thread receives a large request body.
    public enum LoopThreadBodies: Sendable {
        /// Received whole before the application starts (memory, then a spool file): the loop
        /// never waits for one client, so the other connections are served meanwhile. The
        /// default for a server on its own.
        case spooled
        /// The application starts at once and its reads wait for the client, the loop blocked
        /// meanwhile, as in a gunicorn sync worker: memory stays bounded by one read, nothing goes
        /// to disk, and an application can answer before the upload (`100 Continue` waits for its
        /// first read). What the workers of a supervisor use: the other workers keep serving.
        case streamed
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
