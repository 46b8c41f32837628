import ArgumentParser
import Glibc
import HTTPServerCore
import Logging
import StaticContent

/// How the command is set up: a gunicorn config file, the working directory, the pid file.
public struct SetupOptions: ParsableArguments {
    @Option(name: [.short, .customLong("config")], help: ArgumentHelp(
        "A gunicorn configuration file (Python) whose settings apply unless flags or $SWIFT_WSGI_CMD_ARGS give them.", valueName: "FILE"))
    public var config: String?

    @Option(help: ArgumentHelp("Change to this directory before loading the application.", valueName: "DIR"))
    public var chdir: String?

    @Option(help: ArgumentHelp("Write the (master) process id to this file; removed on exit.", valueName: "FILE"))
    public var pid: String?

    @Flag(name: .customLong("check-config"), help: "Check the configuration (and load the application) without serving; exit 0 when it is valid.")
    public var checkConfig = false

    public init() {}
}

/// Where and how to listen.
public struct ListeningOptions: ParsableArguments {
    @Option(name: [.short, .long], help: ArgumentHelp(
        "Where to listen, repeatable: HOST:PORT, [IPV6]:PORT, unix:PATH or fd://N (port 0 picks a free port). Default: see the command's description; systemd's LISTEN_FDS sockets replace it.",
        valueName: "ADDRESS"))
    public var bind: [ListenAddress] = []

    @Option(help: "Pending connections the kernel queues for each listener.")
    public var backlog: Int32 = 2048

    @Option(help: ArgumentHelp("Umask for the unix sockets this process creates, octal (0: anyone may connect, 0o007: owner and group).", valueName: "MASK"))
    public var umask: OctalMode = OctalMode(0)

    @Option(name: .customLong("forwarded-allow-ips"), help: ArgumentHelp(
        "Proxies whose X-Forwarded-For/-Proto and Forwarded headers set REMOTE_ADDR and wsgi.url_scheme: addresses and networks, comma-separated, or '*'. Default: $FORWARDED_ALLOW_IPS, else 127.0.0.1,::1.",
        valueName: "ADDRESSES"))
    public var forwardedAllowIPs: ForwardedAllowList = ListeningOptions.defaultForwardedAllowIPs

    @Flag(name: .customLong("request-start-header"), help: "Stamp each request with the time its first byte was read, as X-Request-Start: t=MICROSECONDS (the queue time New Relic, Scout and Sentry read), unless a proxy of --forwarded-allow-ips set it; a client's own is replaced.")
    public var requestStartHeader = false

    @Option(name: .customLong("health-check-path"), help: ArgumentHelp(
        "A path the server answers itself for load balancers (GET or HEAD): 200 while serving, 503 once a stop with --drain-delay began; no application call, no access log line. Default: none.",
        valueName: "PATH"))
    public var healthCheckPath: String?

    @Option(name: .customLong("http2"), help: ArgumentHelp(
        "HTTP/2 beside HTTP/1.1: on (h2 chosen by ALPN on TLS listeners, h2c with prior knowledge on plain ones), off, or only (no HTTP/1.1).",
        valueName: "MODE"))
    public var http2: HTTP2Configuration.Mode = .on

    @Option(name: .customLong("http2-max-concurrent-streams"), help: "Streams an HTTP/2 client may have open at once on one connection.")
    public var http2MaxConcurrentStreams: UInt32 = 100

    @Option(name: .customLong("http2-initial-window-size"), help: ArgumentHelp(
        "Bytes of a request body an HTTP/2 stream may send before the server takes them (flow control).", valueName: "BYTES"))
    public var http2InitialWindowSize: UInt32 = 65_535

    public init() {}

    public func validate() throws {
        guard backlog > 0 else { throw ValidationError("--backlog must be > 0") }
        guard http2MaxConcurrentStreams > 0 else { throw ValidationError("--http2-max-concurrent-streams must be > 0") }
        guard http2InitialWindowSize <= UInt32(Int32.max) else { throw ValidationError("--http2-initial-window-size must be at most 2147483647") }
        if let healthCheckPath, !healthCheckPath.hasPrefix("/") || healthCheckPath.contains("?") {
            throw ValidationError("--health-check-path must be a path starting with '/', without a query: '\(healthCheckPath)'")
        }
    }

    /// gunicorn's default: `FORWARDED_ALLOW_IPS` from the environment, else the loopback addresses.
    static var defaultForwardedAllowIPs: ForwardedAllowList {
        guard let text = getenv("FORWARDED_ALLOW_IPS").map({ String(cString: $0) }), let list = try? ForwardedAllowList(text) else { return .loopback }
        return list
    }
}

extension HTTP2Configuration.Mode: ExpressibleByArgument {}

/// gunicorn's worker classes, as far as they map onto this server's modes.
public enum WorkerClass: String, Sendable {
    /// The application on the event loop's thread (or on `--threads` threads when asked).
    case sync
    /// The application on a pool of `--threads` threads (at least one).
    case gthread

    public init?(argument: String) {
        switch argument.lowercased() {
        case "sync": self = .sync
        case "gthread": self = .gthread
        default: return nil
        }
    }
}

/// Processes, threads, loops.
public struct ConcurrencyOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "Worker processes under a supervising master; 0 serves in this process.")
    public var workers = 0

    @Option(help: "Application threads; 0 runs the application on the event-loop thread.")
    public var threads = 0

    @Option(name: [.customShort("k"), .customLong("worker-class")], help: ArgumentHelp(
        "gunicorn's worker class: sync (the application on the loop thread, or on --threads threads) or gthread (on --threads threads, at least one).",
        valueName: "CLASS"))
    public var workerClass: String = "sync"

    @Option(help: "Event-loop threads per process, each listening on every address (SO_REUSEPORT).")
    public var loops = 1

    @Option(name: .customLong("max-requests"), help: "Requests after which a worker is replaced (--workers); 0 = never.")
    public var maxRequests = 0

    @Option(name: .customLong("max-requests-jitter"), help: "Random extra requests (0...N) added to --max-requests per worker.")
    public var maxRequestsJitter = 0

    @Option(name: .customLong("max-worker-memory"), help: ArgumentHelp(
        "Replace a worker whose resident memory exceeds this many MiB (sampled with its heartbeat, --workers): it finishes its in-flight requests while its replacement serves. 0 = never.",
        valueName: "MiB"))
    public var maxWorkerMemory = 0

    @Option(name: .customLong("max-worker-lifetime"), help: "Replace a worker after this many seconds (--workers), one worker at a time; 0 = never.")
    public var maxWorkerLifetime = 0

    @Option(name: .customLong("max-worker-lifetime-jitter"), help: "Random extra seconds (0...N) added to --max-worker-lifetime per worker.")
    public var maxWorkerLifetimeJitter = 0

    @Option(name: .customLong("max-connections"), help: "Connections served at once per process; above it, accepting pauses.")
    public var maxConnections: Int = 10_000

    public init() {}

    public func validate() throws {
        guard threads >= 0, loops >= 1, workers >= 0 else { throw ValidationError("--threads and --workers must be >= 0 and --loops >= 1") }
        guard WorkerClass(argument: workerClass) != nil else {
            throw ValidationError("worker class '\(workerClass)' is not supported: use sync (the default) or gthread (with --threads)")
        }
        guard maxRequests >= 0, maxRequestsJitter >= 0, maxConnections >= 1 else {
            throw ValidationError("--max-requests and --max-requests-jitter must be >= 0, --max-connections >= 1")
        }
        guard maxWorkerMemory >= 0, maxWorkerLifetime >= 0, maxWorkerLifetimeJitter >= 0 else {
            throw ValidationError("--max-worker-memory, --max-worker-lifetime and --max-worker-lifetime-jitter must be >= 0")
        }
    }

    /// Application threads the worker class and `--threads` ask for.
    public var effectiveThreads: Int { WorkerClass(argument: workerClass) == .gthread ? max(1, threads) : threads }
}

/// Timeouts and request limits.
public struct LimitOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "Seconds of silence after which the master kills and replaces a worker (--workers).")
    public var timeout = 30

    @Option(name: .customLong("graceful-timeout"), help: "Seconds in-flight requests get to finish on SIGTERM.")
    public var gracefulTimeout: Int = 30

    @Option(name: .customLong("drain-delay"), help: "Seconds a graceful stop (SIGTERM) keeps serving, the health check answering 503, before it stops accepting and drains: the time a load balancer needs to stop routing here.")
    public var drainDelay: Int = 0

    @Option(name: .customLong("keep-alive"), help: "Seconds an idle keep-alive connection stays open.")
    public var keepAlive: Int = 75

    @Option(name: .customLong("limit-request-line"), help: "Longest request line in bytes (414 above).")
    public var limitRequestLine: Int = 8190

    @Option(name: .customLong("limit-request-fields"), help: "Most header fields in a request (431 above).")
    public var limitRequestFields: Int = 100

    @Option(name: .customLong("limit-request-field-size"), help: "Longest header field line in bytes (431 above).")
    public var limitRequestFieldSize: Int = 8190

    @Option(name: .customLong("limit-request-body"), help: "Largest request body in bytes (413 above); 0 = no limit.")
    public var limitRequestBody: Int = 0

    public init() {}

    public func validate() throws {
        guard timeout > 0, gracefulTimeout >= 0, keepAlive >= 0, drainDelay >= 0 else {
            throw ValidationError("--timeout must be > 0, --graceful-timeout, --drain-delay and --keep-alive >= 0")
        }
        guard limitRequestLine > 0, limitRequestFields > 0, limitRequestFieldSize > 0, limitRequestBody >= 0 else {
            throw ValidationError("request limits must be > 0 (--limit-request-body >= 0)")
        }
    }
}

/// The access log and the error log, as gunicorn names them.
public struct LoggingOptions: ParsableArguments {
    @Option(name: .customLong("access-logfile"), help: ArgumentHelp("Write one line per response here ('-': standard output). Default: no access log.", valueName: "FILE"))
    public var accessLogfile: String?

    @Option(name: .customLong("access-logformat"), help: ArgumentHelp(
        "The access log line, in gunicorn's atoms (%(h)s %(t)s \"%(r)s\" %(s)s %(D)s %({header}i)s ...), or 'json'. Default: gunicorn's.",
        valueName: "FORMAT"))
    public var accessLogformat: String = AccessLogFormat.gunicornDefault.description

    @Option(name: [.customLong("error-logfile"), .customLong("log-file")], help: ArgumentHelp("Write the error log here ('-': standard error).", valueName: "FILE"))
    public var errorLogfile: String = "-"

    @Option(name: .customLong("log-level"), help: "debug, info, warning, error or critical (and swift-log's trace and notice).")
    public var logLevel = "info"

    @Option(name: .customLong("metrics-bind"), help: ArgumentHelp(
        "Serve metrics in Prometheus's text format on this address of their own (HOST:PORT or unix:PATH). Default: none.", valueName: "ADDRESS"))
    public var metricsBind: ListenAddress?

    public init() {}

    public func validate() throws {
        guard level != nil else { throw ValidationError("unknown log level '\(logLevel)': use debug, info, warning, error or critical") }
    }

    /// The `--log-level` as swift-log's level (gunicorn writes them in any case).
    public var level: Logger.Level? { Logger.Level(rawValue: logLevel.lowercased()) }
}

/// Static files the server serves itself, without calling the application (whitenoise's job, in
/// the server).
public struct StaticFileOptions: ParsableArguments {
    @Option(name: .customLong("static"), help: ArgumentHelp(
        "Serve the files of DIR under URL_PREFIX (repeatable): GET and HEAD with sendfile, ETag/Last-Modified/304, one range, FILE.br/FILE.gz for clients that accept them; a path naming no file there goes to the application.",
        valueName: "URL_PREFIX=DIR"))
    public var mounts: [StaticMountArgument] = []

    @Option(name: .customLong("static-max-age"), help: "Cache-Control max-age, in seconds, of static files whose names carry no content hash; -1 sends none.")
    public var maxAge: Int = 60

    @Option(name: .customLong("static-immutable-pattern"), help: ArgumentHelp(
        "Static files whose path below the prefix matches this extended regular expression never change: Cache-Control: public, max-age=31536000, immutable. Default: whitenoise's (a 12-digit hex hash, as Django's ManifestStaticFilesStorage names files); '' for none.",
        valueName: "REGEX"))
    public var immutablePattern: String = CachePolicy.hashedNames

    public init() {}

    public func validate() throws {
        guard maxAge >= -1 else { throw ValidationError("--static-max-age must be >= 0, or -1 for none") }
    }

    /// The mounts, their directories resolved now (relative ones against the working directory,
    /// after `--chdir`); throws when a directory cannot be served or the pattern is not one.
    public func staticMounts() throws -> [StaticMount] {
        let policy: CachePolicy
        do {
            policy = CachePolicy(maxAge: maxAge >= 0 ? maxAge : nil, immutable: immutablePattern.isEmpty ? nil : try PathPattern(immutablePattern))
            return try mounts.map { StaticMount(prefix: $0.prefix, directory: try StaticDirectory(root: $0.directory, cachePolicy: policy)) }
        } catch {
            throw CommandLineError("--static: \(error)")
        }
    }
}

/// `URL_PREFIX=DIR`, as `--static` takes it.
public struct StaticMountArgument: ExpressibleByArgument, Sendable {
    public let prefix: String
    public let directory: String

    public init?(argument: String) {
        guard let equals = argument.firstIndex(of: "="), argument.hasPrefix("/") else { return nil }
        prefix = String(argument[..<equals])
        directory = String(argument[argument.index(after: equals)...])
        guard !directory.isEmpty, !prefix.contains("?") else { return nil }
    }
}
