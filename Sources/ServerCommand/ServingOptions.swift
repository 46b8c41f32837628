import ArgumentParser
import Glibc
import HTTPServerCore
import Logging
import Supervisor

/// The serving flags every command shares (`wsgi-demo`, `swift-wsgi`), with gunicorn's names and
/// meanings wherever gunicorn has the setting: one definition, so that the commands read the same
/// flags the same way. Grouped as `--help` shows them.
public struct ServingOptions: ParsableArguments {
    @OptionGroup(title: "Configuration") public var setup: SetupOptions
    @OptionGroup(title: "Listening") public var listening: ListeningOptions
    @OptionGroup(title: "Processes and threads") public var concurrency: ConcurrencyOptions
    @OptionGroup(title: "Limits and timeouts") public var limits: LimitOptions
    @OptionGroup(title: "Logging") public var logging: LoggingOptions
    @OptionGroup(title: "TLS") public var tls: TLSOptions
    @OptionGroup(title: "Static files") public var staticFiles: StaticFileOptions

    public init() {}

    /// `--workers` and the flags that tune them.
    public var workerSettings: WorkerSettings {
        var settings = WorkerSettings(workers: concurrency.workers)
        settings.timeout = .seconds(limits.timeout)
        // The master waits for a worker's whole stop: its drain delay, then its drain.
        settings.gracefulTimeout = .seconds(limits.gracefulTimeout + limits.drainDelay)
        settings.maxRequests = concurrency.maxRequests > 0 ? concurrency.maxRequests : nil
        settings.maxRequestsJitter = concurrency.maxRequestsJitter
        settings.maxWorkerMemory = concurrency.maxWorkerMemory > 0 ? concurrency.maxWorkerMemory << 20 : nil
        settings.maxWorkerLifetime = concurrency.maxWorkerLifetime > 0 ? .seconds(concurrency.maxWorkerLifetime) : nil
        settings.maxWorkerLifetimeJitter = .seconds(concurrency.maxWorkerLifetimeJitter)
        return settings
    }

    /// The server configuration the flags describe, listening on `listeners`, logging as `label`,
    /// with `accessLog` (opened by the caller) as its access log. Throws when a `--static` directory
    /// cannot be served.
    public func serverConfiguration(listeners: [ListenAddress], label: String, accessLog: AccessLog?, metrics: ServerMetrics? = nil) throws -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.listeners = listeners
        configuration.backlog = listening.backlog
        configuration.unixSocketUmask = listening.umask.value
        configuration.forwardedAllowIPs = listening.forwardedAllowIPs
        configuration.threads = concurrency.effectiveThreads
        configuration.loops = concurrency.loops
        configuration.maxConnections = concurrency.maxConnections
        configuration.timeouts.keepAliveIdle = .seconds(limits.keepAlive)
        configuration.gracefulTimeout = .seconds(limits.gracefulTimeout)
        configuration.limits.maxRequestLineLength = limits.limitRequestLine
        configuration.limits.maxFieldCount = limits.limitRequestFields
        configuration.limits.maxFieldLength = limits.limitRequestFieldSize
        if limits.limitRequestBody > 0 { configuration.limits.maxBodyLength = limits.limitRequestBody }
        configuration.logger = Logger(label: label)
        configuration.accessLog = accessLog
        configuration.metrics = metrics
        configuration.tls = tls.settings
        configuration.healthCheck = listening.healthCheckPath.map(HealthCheck.init(path:))
        configuration.http2.mode = listening.http2
        configuration.http2.settings.maxConcurrentStreams = listening.http2MaxConcurrentStreams
        configuration.http2.settings.initialWindowSize = listening.http2InitialWindowSize
        configuration.stampsRequestStart = listening.requestStartHeader
        configuration.drainDelay = .seconds(limits.drainDelay)
        configuration.staticMounts = try staticFiles.staticMounts()
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

