import Dispatch
import Glibc
import Logging
import Synchronization
import TLS
import UVLoop

/// An HTTP/1.1 server on libuv that drives applications through a ``Responder``.
///
/// ```swift
/// let server = try HTTPServer(configuration: configuration, responder: gateway) // binds now
/// server.serveForever()                                                          // blocks until shutdown
/// ```
///
/// `init` creates the event loops and binds their listeners, so the real port is known at once and
/// bind errors are thrown there. ``serveForever()`` runs them (the first loop on the calling thread)
/// and returns after ``shutdown(graceful:)``; ``run()`` does the same from async code.
///
/// Thread-safe: `shutdown` and `state` from any thread. Serving can start once.
public final class HTTPServer: Sendable {
    /// The lifecycle, logged on each transition.
    public enum State: String, Sendable {
        case ready, running, shuttingDown, stopped
    }

    /// The addresses the server listens on, in the configured order (real ports for port 0).
    public let listeningAddresses: [ListenerAddress]
    /// The first TCP address the server listens on (the real port when configured with port 0);
    /// empty and 0 when it listens on unix sockets only.
    public var localAddress: SocketAddress {
        for case .inet(let address) in listeningAddresses { return address }
        return SocketAddress(host: "", port: 0)
    }
    /// Unix sockets this server created: their files are removed when it stops.
    private let socketFiles: [ListeningSocket]
    private let mailboxes: [LoopMailbox]
    private let handoff: LoopHandoff
    private let pool: ThreadPool?
    private let stopDeadline: StopDeadline
    private let gracefulTimeout: Duration
    private let lifecycle: Mutex<State>
    private let uncleanLoops = Atomic<Int>(0)
    private let logger: Logger
    /// The TLS context of new connections, when the listeners speak TLS.
    private let tlsContexts: TLSContextStore?
    private let healthCheck: HealthCheck?
    private let drainDelay: Duration
    /// A graceful stop began its drain delay (a second stop request goes straight on).
    private let drainDelayStarted = Atomic<Bool>(false)

    /// Creates the loops and binds. Throws when the address cannot be bound.
    public init(configuration: ServerConfiguration, responder: any Responder) throws {
        logger = configuration.logger
        ResourceLimits.ignoreBrokenPipes()
        let openFiles = ResourceLimits.raiseOpenFiles()
        let loops = max(1, configuration.loops)
        // Leave room for spool files, inherited descriptors and the loops' own.
        let connectionCeiling = max(1, min(configuration.maxConnections, openFiles - 32 - 8 * loops))
        let threads = max(0, configuration.threads)
        let pool = threads > 0 ? ThreadPool(threads: threads) : nil
        let info = ServerInfo(
            software: configuration.serverSoftware, urlScheme: configuration.urlScheme, host: configuration.host,
            applicationThreads: threads, multithread: threads > 0 || loops > 1, multiprocess: configuration.multiprocess,
            forwardedAllowIPs: configuration.forwardedAllowIPs
        )
        let stop = StopRequest()
        let stopDeadline = StopDeadline()
        tlsContexts = try configuration.tls.map { settings throws(TLSError) in
            var settings = settings
            settings.protocols = configuration.http2.alpnProtocols
            return try TLSContextStore(settings)
        }
        var created: [ServerLoop] = []
        var socketFiles: [ListeningSocket] = []
        do {
            // Sockets that every loop takes a copy of: inherited, unix, given by descriptor. TCP
            // addresses are bound by every loop (SO_REUSEPORT spreads connections among them).
            var shared: [ListeningSocket?] = []
            for (index, address) in configuration.listeners.enumerated() {
                if index < configuration.inheritedDescriptors.count {
                    shared.append(try ListeningSocket.inherited(configuration.inheritedDescriptors[index]))
                    continue
                }
                switch address {
                case .tcp:
                    shared.append(nil)
                case .unix(let path):
                    let socket = try ListeningSocket.unix(path: path, umask: configuration.unixSocketUmask, backlog: configuration.backlog)
                    socketFiles.append(socket)
                    shared.append(socket)
                case .descriptor(let fd):
                    shared.append(try ListeningSocket.inherited(fd))
                }
            }
            var ports = configuration.listeners.map { if case .tcp(_, let port) = $0 { port } else { 0 } }
            for index in 0..<loops {
                let endpoints = try configuration.listeners.indices.map { listenerIndex -> ListenEndpoint in
                    let address = configuration.listeners[listenerIndex]
                    if let socket = shared[listenerIndex] {
                        // The first loop takes the socket itself over, the others a duplicate.
                        let fd = index == 0 ? socket.descriptor : try Self.duplicate(socket.descriptor)
                        return ListenEndpoint(source: .adopt(fd), serverName: Self.serverName(address))
                    }
                    guard case .tcp(let host, _) = address else { preconditionFailure("only TCP addresses are bound per loop") }
                    return ListenEndpoint(source: .bind(host: host, port: ports[listenerIndex], reusePort: loops > 1), serverName: Self.serverName(address))
                }
                let loop = try ServerLoop(
                    configuration: configuration, listen: endpoints, responder: responder, serverInfo: info,
                    stopDeadline: stopDeadline, pool: pool, maxConnections: max(1, connectionCeiling / loops), beats: index == 0,
                    tls: tlsContexts
                )
                loop.context.requestStop = stop.request
                created.append(loop)
                // Later loops bind the ports the first one got (port 0 picks one once).
                for (listenerIndex, bound) in try loop.boundAddresses().enumerated() {
                    if case .inet(let address) = bound { ports[listenerIndex] = address.port }
                }
            }
        } catch {
            for loop in created { loop.mailbox.post(.shutdown(graceful: false)); loop.run() }
            for socket in socketFiles { socket.removeFile() }
            pool?.stop()
            throw error
        }
        listeningAddresses = try created[0].boundAddresses()
        self.socketFiles = socketFiles
        mailboxes = created.map(\.mailbox)
        handoff = LoopHandoff(created)
        self.pool = pool
        self.stopDeadline = stopDeadline
        gracefulTimeout = configuration.gracefulTimeout
        healthCheck = configuration.healthCheck
        drainDelay = configuration.drainDelay
        lifecycle = Mutex(.ready)
        stop.connect { [weak self] in
            self?.logger.info("the monitor asked to stop; shutting down gracefully")
            self?.shutdown(graceful: true)
        }
        logger.info("listening", metadata: [
            "addresses": "\(listeningAddresses.map(\.description).joined(separator: ", "))", "loops": "\(loops)", "threads": "\(configuration.threads)",
            "open_files_limit": "\(openFiles)", "max_connections": "\(connectionCeiling)",
        ])
    }

    public var state: State { lifecycle.withLock { $0 } }

    /// Loads the TLS certificate, key and CA files again (SIGHUP): connections accepted from now on
    /// use them, open ones keep theirs. A file refused keeps the files in force and is logged with
    /// the reason. Returns whether new files are in force (false too without TLS). Any thread.
    @discardableResult
    public func reloadTLS() -> Bool {
        guard let tlsContexts else { return false }
        do {
            try tlsContexts.reload()
            logger.info("TLS certificate reloaded", metadata: ["certfile": "\(tlsContexts.settings.certificateFile)"])
            return true
        } catch {
            logger.error("TLS reload refused; the certificate in force stays", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Once stopped: true when every event loop closed with no libuv handle left open.
    public var closedCleanly: Bool { state == .stopped && uncleanLoops.load(ordering: .acquiring) == 0 }

    private func record(_ closedCleanly: Bool) {
        if !closedCleanly { uncleanLoops.add(1, ordering: .releasing) }
    }

    /// Serves until ``shutdown(graceful:)``; the first loop runs on the calling thread.
    public func serveForever() {
        guard let loops = begin() else { return }
        let others = loops.dropFirst().map { loop in
            let transfer = LoopHandoff.Transfer(loop)
            return UVThread.start { self.record(transfer.loop.run()) }
        }
        record(loops[0].run())
        for thread in others { thread.join() }
        end()
    }

    /// Serves until ``shutdown(graceful:)``, every loop on its own thread; returns when all stopped.
    public func run() async {
        guard let loops = begin() else { return }
        var threads: [UVThread] = []
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            // The last loop to stop resumes the caller.
            let running = Atomic<Int>(loops.count)
            threads = loops.map { loop in
                let transfer = LoopHandoff.Transfer(loop)
                return UVThread.start {
                    self.record(transfer.loop.run())
                    if running.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { continuation.resume() }
                }
            }
        }
        for thread in threads { thread.join() }  // all have finished: this only reaps them
        end()
    }

    /// Stops the server. Graceful (the default): stop accepting, let in-flight requests finish
    /// within the graceful timeout, close idle connections. Not graceful, or a second call: close
    /// everything now. Safe from any thread, including from an application.
    public func shutdown(graceful: Bool = true) {
        if graceful, drainDelay > .zero, !drainDelayStarted.exchange(true, ordering: .relaxed) {
            // Keep serving while the load balancer notices the probe failing, then drain.
            healthCheck?.startFailing()
            logger.info("stopping after the drain delay; serving meanwhile", metadata: [
                "drain_delay": "\(drainDelay)", "health_check": "\(healthCheck?.path ?? "none")",
            ])
            let milliseconds = Int(drainDelay.milliseconds)
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(milliseconds)) { [weak self] in
                self?.shutdown(graceful: true)
            }
            return
        }
        healthCheck?.startFailing()
        let changed = lifecycle.withLock { state -> Bool in
            guard state == .ready || state == .running else { return false }
            state = .shuttingDown
            return true
        }
        if changed { logger.info("state", metadata: ["state": "\(State.shuttingDown.rawValue)"]) }
        // A loop blocked waiting for a client cannot read its mailbox: its wait looks here.
        stopDeadline.stop(after: graceful && changed ? gracefulTimeout : nil)
        for mailbox in mailboxes { mailbox.post(.shutdown(graceful: graceful)) }
    }

    /// SERVER_NAME for connections through `address`: its host unless that is a wildcard.
    private static func serverName(_ address: ListenAddress) -> String? {
        switch address {
        case .tcp(let host, _): return host.isEmpty || host == "0.0.0.0" || host == "::" ? nil : host
        case .unix: return "localhost"
        case .descriptor: return nil
        }
    }

    private static func duplicate(_ descriptor: Int32) throws -> Int32 {
        let copy = dup(descriptor)
        guard copy >= 0 else { throw UVError(-errno, "dup") }
        return copy
    }

    /// Closes a server that never served: its listeners and loops (a server made and dropped
    /// without serving, such as a closed `make_server` of the Python package). Once serving
    /// started, ``shutdown(graceful:)`` is the way: this does nothing then.
    public func close() {
        guard let loops = handoff.take() else { return }
        lifecycle.withLock { $0 = .shuttingDown }
        for loop in loops {
            loop.mailbox.post(.shutdown(graceful: false))
            record(loop.run())
        }
        end()
    }

    private func begin() -> [ServerLoop]? {
        guard let loops = handoff.take() else {
            logger.error("serveForever/run called twice; ignored")
            return nil
        }
        let started = lifecycle.withLock { state -> Bool in
            if state == .ready { state = .running }
            return state == .running
        }
        if started { logger.info("state", metadata: ["state": "\(State.running.rawValue)"]) }
        return loops
    }

    private func end() {
        pool?.stop()
        for socket in socketFiles { socket.removeFile() }
        lifecycle.withLock { $0 = .stopped }
        logger.info("state", metadata: ["state": "\(State.stopped.rawValue)"])
    }
}

/// Hands the loops created by `init` to the threads that run them, once.
///
/// `@unchecked Sendable` is sound: `loops` is written in `init` (before the server is shared) and
/// read exactly once, under `lock`, by ``take()``; after that each loop is used only by the one
/// thread it is given to, and thread creation orders the hand-over.
private final class LoopHandoff: @unchecked Sendable {
    private let lock = Mutex(false)
    private let loops: [ServerLoop]

    init(_ loops: [ServerLoop]) { self.loops = loops }

    func take() -> [ServerLoop]? {
        let taken = lock.withLock { taken -> Bool in
            defer { taken = true }
            return taken
        }
        return taken ? nil : loops
    }

    /// One loop on its way to the thread that will own it (same argument as above).
    struct Transfer: @unchecked Sendable {
        let loop: ServerLoop
        init(_ loop: ServerLoop) { self.loop = loop }
    }
}

/// A request from a loop (its monitor's) to stop the whole server, delivered once the server
/// exists (the loops are created before it).
private final class StopRequest: Sendable {
    private let action = Mutex<(@Sendable () -> Void)?>(nil)

    func connect(_ action: @escaping @Sendable () -> Void) { self.action.withLock { $0 = action } }

    /// Any thread.
    func request() { action.withLock { $0 }?() }
}
