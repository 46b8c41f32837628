import ArgumentParser
import Glibc
import HTTPServerCore
import Logging
import Supervisor

/// The serving flags every command shares (`wsgi-demo`, `swift-wsgi`), with gunicorn's names: one
/// definition, so that the commands read the same flags the same way.
public struct ServingOptions: ParsableArguments {
    @Option(name: [.short, .long], help: ArgumentHelp(
        "Where to listen, repeatable: HOST:PORT, [IPV6]:PORT, unix:PATH or fd://N (port 0 picks a free port). Default: see the command's description; systemd's LISTEN_FDS sockets replace it.",
        valueName: "ADDRESS"))
    public var bind: [ListenAddress] = []

    @Option(help: "Pending connections the kernel queues for each listener.")
    public var backlog: Int32 = 2048

    @Option(help: ArgumentHelp("Umask for the unix sockets this process creates, octal (0: anyone may connect, 0o007: owner and group).", valueName: "MASK"))
    public var umask: OctalMode = OctalMode(0)

    @Option(help: "Application threads; 0 runs the application on the event-loop thread.")
    public var threads = 0

    @Option(help: "Event-loop threads, each with its own listener on the address (SO_REUSEPORT).")
    public var loops = 1

    @Option(name: [.short, .long], help: "Worker processes under a supervising master; 0 serves in this process.")
    public var workers = 0

    @Option(help: "Seconds of silence after which the master kills and replaces a worker (--workers).")
    public var timeout = 30

    @Option(name: .customLong("max-requests"), help: "Requests after which a worker is replaced (--workers); 0 = never.")
    public var maxRequests = 0

    @Option(name: .customLong("max-requests-jitter"), help: "Random extra requests (0...N) added to --max-requests per worker.")
    public var maxRequestsJitter = 0

    @Option(name: .customLong("keep-alive"), help: "Seconds an idle keep-alive connection stays open.")
    public var keepAlive: Int = 75

    @Option(name: .customLong("graceful-timeout"), help: "Seconds in-flight requests get to finish on SIGTERM.")
    public var gracefulTimeout: Int = 30

    @Option(name: .customLong("max-connections"), help: "Connections served at once; above it, accepting pauses.")
    public var maxConnections: Int = 10_000

    @Option(name: .customLong("limit-request-line"), help: "Longest request line in bytes (414 above).")
    public var limitRequestLine: Int = 8190

    @Option(name: .customLong("limit-request-fields"), help: "Most header fields in a request (431 above).")
    public var limitRequestFields: Int = 100

    @Option(name: .customLong("limit-request-field-size"), help: "Longest header field line in bytes (431 above).")
    public var limitRequestFieldSize: Int = 8190

    @Option(name: .customLong("limit-request-body"), help: "Largest request body in bytes (413 above); 0 = no limit.")
    public var limitRequestBody: Int = 0

    @Option(name: .customLong("forwarded-allow-ips"), help: ArgumentHelp(
        "Proxies whose X-Forwarded-For/-Proto and Forwarded headers set REMOTE_ADDR and wsgi.url_scheme: addresses and networks, comma-separated, or '*'. Default: $FORWARDED_ALLOW_IPS, else 127.0.0.1,::1.",
        valueName: "ADDRESSES"))
    public var forwardedAllowIPs: ForwardedAllowList = Self.defaultForwardedAllowIPs

    @Flag(name: .customLong("access-log"), help: "Log one line per response.")
    public var accessLog = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    public var logLevel = "info"

    public init() {}

    public func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown log level '\(logLevel)'") }
        guard threads >= 0, loops >= 1, workers >= 0 else { throw ValidationError("--threads and --workers must be >= 0 and --loops >= 1") }
        guard backlog > 0 else { throw ValidationError("--backlog must be > 0") }
        guard timeout > 0, gracefulTimeout >= 0, keepAlive >= 0 else {
            throw ValidationError("--timeout must be > 0, --graceful-timeout and --keep-alive >= 0")
        }
    }

    /// gunicorn's default: `FORWARDED_ALLOW_IPS` from the environment, else the loopback addresses.
    static var defaultForwardedAllowIPs: ForwardedAllowList {
        guard let text = getenv("FORWARDED_ALLOW_IPS").map({ String(cString: $0) }), let list = try? ForwardedAllowList(text) else { return .loopback }
        return list
    }

    /// Standard error log at `--log-level`. Once per process, before any logger is made.
    public func bootstrapLogging() {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// `--workers` and the flags that tune them.
    public var workerSettings: WorkerSettings {
        var settings = WorkerSettings(workers: workers)
        settings.timeout = .seconds(timeout)
        settings.gracefulTimeout = .seconds(gracefulTimeout)
        settings.maxRequests = maxRequests > 0 ? maxRequests : nil
        settings.maxRequestsJitter = maxRequestsJitter
        return settings
    }

    /// The server configuration the flags describe, listening on `listeners`, logging as `label`
    /// (the access log as `command.access`).
    public func serverConfiguration(listeners: [ListenAddress], command: String, label: String) -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.listeners = listeners
        configuration.backlog = backlog
        configuration.unixSocketUmask = umask.value
        configuration.threads = threads
        configuration.loops = loops
        configuration.timeouts.keepAliveIdle = .seconds(keepAlive)
        configuration.gracefulTimeout = .seconds(gracefulTimeout)
        configuration.maxConnections = maxConnections
        configuration.limits.maxRequestLineLength = limitRequestLine
        configuration.limits.maxFieldCount = limitRequestFields
        configuration.limits.maxFieldLength = limitRequestFieldSize
        if limitRequestBody > 0 { configuration.limits.maxBodyLength = limitRequestBody }
        configuration.logger = Logger(label: label)
        configuration.forwardedAllowIPs = forwardedAllowIPs
        if accessLog { configuration.accessLogger = Logger(label: "\(command).access") }
        return configuration
    }
}

extension ForwardedAllowList: ExpressibleByArgument {
    public init?(argument: String) { try? self.init(argument) }
    public var defaultValueDescription: String { description }
}

/// A file mode mask written in octal, as gunicorn's `--umask` takes it: `0o007`, `007`, `0x7` or `7`.
public struct OctalMode: ExpressibleByArgument, Sendable {
    public let value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init?(argument: String) {
        let parsed: UInt32?
        if argument.hasPrefix("0o") || argument.hasPrefix("0O") {
            parsed = UInt32(argument.dropFirst(2), radix: 8)
        } else if argument.hasPrefix("0x") || argument.hasPrefix("0X") {
            parsed = UInt32(argument.dropFirst(2), radix: 16)
        } else {
            parsed = UInt32(argument, radix: 8)
        }
        guard let parsed, parsed <= 0o777 else { return nil }
        value = parsed
    }

    public var defaultValueDescription: String { "0" }
}
