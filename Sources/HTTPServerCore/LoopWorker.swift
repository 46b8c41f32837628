import Glibc
import Logging
import Synchronization
import UVLoop

/// One event loop of the server: its listener, its connections, and what they share (the output
/// queue, the Date header, the sweep that enforces timeouts).
///
/// Thread: created on any thread, then owned by the one thread that calls ``run()``; other threads
/// reach it only through its ``WorkerRemote``. Lifetime: ``run()`` returns once every handle of the
/// loop is closed, so the worker outlives all of its connections and handles (they refer to it
/// `unowned`).
final class LoopWorker {
    let loop: Loop
    let configuration: ServerConfiguration
    let responder: any Responder
    let serverInfo: ServerInfo
    let logger: Logger
    let accessLogger: Logger?
    let pool: ThreadPool?
    let remote: WorkerRemote

    /// Shared by this loop's connections; see ``OutputQueue``.
    let out = OutputQueue()
    private(set) var date = DateCache()
    /// See ``EncodedHeaderCache``; unchecked exclusivity as for the output queue (loop thread only).
    @exclusivity(unchecked) var encodedHeaders = EncodedHeaderCache()
    let serverLine: [UInt8]
    private(set) var isDraining = false

    private var listener: TCPListener?
    private var connections: [Int: Connection] = [:]
    private var nextConnectionID = 0
    private let maxConnections: Int
    private var acceptDeferred = false
    private var sweep: LoopTimer?
    private var wakeup: AsyncWakeup?
    private var graceTimer: LoopTimer?
    private var heartbeatTimer: LoopTimer?
    private let requestBudget: RequestBudget?
    private let headerReadTimeout: UInt64
    private let bodyReadTimeout: UInt64
    private let keepAliveTimeout: UInt64
    private let writeTimeout: UInt64
    private let lingerTimeout: UInt64

    /// Creates the loop and starts listening (connections wait in the backlog until ``run()``).
    init(configuration: ServerConfiguration, listen endpoint: ListenEndpoint, responder: any Responder,
         serverInfo: ServerInfo, pool: ThreadPool?, maxConnections: Int, requestBudget: RequestBudget?, beats: Bool) throws {
        self.configuration = configuration
        self.responder = responder
        self.serverInfo = serverInfo
        self.logger = configuration.logger
        self.accessLogger = configuration.accessLogger
        self.pool = pool
        self.maxConnections = maxConnections
        self.requestBudget = requestBudget
        serverLine = Array("Server: \(configuration.serverSoftware)\r\n".utf8)
        let timeouts = configuration.timeouts
        headerReadTimeout = timeouts.headerRead.milliseconds
        bodyReadTimeout = timeouts.bodyRead.milliseconds
        keepAliveTimeout = timeouts.keepAliveIdle.milliseconds
        writeTimeout = timeouts.write.milliseconds
        lingerTimeout = timeouts.lingeringClose.milliseconds
        loop = try Loop()
        let wakeup = try AsyncWakeup(loop: loop) {}
        remote = WorkerRemote(sender: wakeup.sender)
        self.wakeup = wakeup
        do {
            try setUp(endpoint, wakeup: wakeup)
            if beats, let heartbeat = configuration.heartbeat { try startHeartbeat(heartbeat) }
        } catch {
            closeHandles()
            loop.run()
            try? loop.close()
            throw error
        }
    }

    private func setUp(_ endpoint: ListenEndpoint, wakeup: AsyncWakeup) throws {
        wakeup.setCallback { [unowned self] in self.handleMail() }
        let listener: TCPListener
        switch endpoint {
        case .address(let host, let port, let reusePort):
            listener = try TCPListener(loop: loop, host: host, port: port, reusePort: reusePort)
        case .inherited(let descriptor):
            listener = try TCPListener(loop: loop, adopting: descriptor)
        }
        self.listener = listener
        try listener.listen(backlog: configuration.backlog) { [unowned self] error in self.connectionArrived(error) }
        let sweep = try LoopTimer(loop: loop)
        self.sweep = sweep
        let interval = sweepInterval
        try sweep.start(after: interval, repeating: interval) { [unowned self] in self.sweepTick() }
    }

    /// The address the listener is bound to.
    func boundAddress() throws -> SocketAddress {
        guard let listener else { throw UVError(-9, "listener closed") }
        return try listener.localAddress()
    }

    /// Runs the loop until shutdown has closed every handle, then closes the loop.
    /// - Returns: whether `uv_loop_close` succeeded (no handle left open).
    @discardableResult
    func run() -> Bool {
        loop.run()
        do {
            try loop.close()
            return true
        } catch {
            logger.error("event loop did not close cleanly", metadata: ["error": "\(error)"])
            return false
        }
    }

    // MARK: Accepting

    private func connectionArrived(_ error: UVError?) {
        if let error {
            // EMFILE and friends: libuv already dropped that connection to keep the listener
            // from spinning; the server goes on.
            logger.warning("accept failed", metadata: ["error": "\(error)"])
            return
        }
        guard connections.count < maxConnections else {
            // Not accepting makes libuv stop polling the listener: clients wait in the backlog.
            if !acceptDeferred { logger.warning("connection limit reached; accepting paused", metadata: ["limit": "\(maxConnections)"]) }
            acceptDeferred = true
            return
        }
        acceptOne()
    }

    private func acceptOne() {
        acceptDeferred = false
        guard let listener else { return }
        let stream: TCPStream
        do {
            stream = try TCPStream(loop: loop)
        } catch {
            logger.error("cannot create a stream", metadata: ["error": "\(error)"])
            return
        }
        do {
            try listener.accept(into: stream)
            let peer = try stream.peerAddress()
            let local = try stream.localAddress()
            let info = ConnectionInfo(remoteAddress: peer.host, remotePort: peer.port, localAddress: local.host, localPort: local.port)
            nextConnectionID += 1
            let connection = Connection(id: nextConnectionID, worker: self, stream: stream, info: info)
            connections[connection.id] = connection
            connection.start()
        } catch {
            // A client that reset right after connecting: nothing to serve.
            logger.debug("dropping a connection that failed at accept", metadata: ["error": "\(error)"])
            stream.close()
        }
    }

    /// From a connection's close callback.
    func connectionDidClose(_ connection: Connection) {
        connections[connection.id] = nil
        if acceptDeferred && !isDraining { acceptOne() }
        if isDraining && connections.isEmpty { closeHandles() }
    }

    // MARK: Responses

    /// Counts a completed response toward ``ServerConfiguration/maxRequests``.
    func responseCompleted() {
        requestBudget?.spend()
    }

    /// Runs the application for a complete request on the pool; its parts come back through the
    /// returned channel, and the connection is woken through this worker's mailbox.
    func submit(_ call: any ApplicationCall, for connection: Connection, to pool: ThreadPool) -> PoolChannel {
        let remote = self.remote
        let channel = PoolChannel(connectionID: connection.id) { id in remote.post(.partReady(id)) }
        pool.submit { channel.run(call) }
        return channel
    }

    private func handleMail() {
        for message in remote.takeMail() {
            switch message {
            case .partReady(let id):
                guard let connection = connections[id], connection.closing == .open else { continue }
                connection.driveBufferedInput()
                connection.settle()
            case .shutdown(let graceful):
                beginShutdown(graceful: graceful)
            }
        }
    }

    // MARK: Timeouts

    func milliseconds(for timeout: Timeout) -> UInt64 {
        switch timeout {
        case .none: return 0
        case .headerRead: return headerReadTimeout
        case .bodyRead: return bodyReadTimeout
        case .keepAliveIdle: return keepAliveTimeout
        case .write: return writeTimeout
        case .lingeringClose: return lingerTimeout
        }
    }

    /// Timeouts are checked by one periodic sweep, not a timer per connection: arming a timeout is
    /// then one store, and a connection costs no timer handle. The period is a quarter of the
    /// shortest timeout, between 10 ms and 1 s.
    private var sweepInterval: UInt64 {
        let all = [headerReadTimeout, bodyReadTimeout, keepAliveTimeout, writeTimeout, lingerTimeout]
        let shortest = all.filter { $0 > 0 }.min() ?? 1000
        return min(1000, max(10, shortest / 4))
    }

    private func sweepTick() {
        date.refresh()
        let now = loop.now
        for connection in connections.values { connection.checkTimeout(now: now) }
    }

    // MARK: Shutdown

    /// Stops accepting. Graceful: idle connections close now, in-flight requests finish (answered
    /// with `Connection: close`) within the graceful timeout. Otherwise, or on a second call: every
    /// connection closes now.
    private func beginShutdown(graceful: Bool) {
        let force = !graceful || isDraining
        if !isDraining {
            logger.info(graceful ? "shutting down gracefully" : "shutting down", metadata: ["connections": "\(connections.count)"])
        }
        isDraining = true
        listener?.close()
        listener = nil
        if force {
            for connection in connections.values { connection.closeNow() }
        } else {
            for connection in connections.values { connection.drain() }
            startGraceTimer()
        }
        if connections.isEmpty { closeHandles() }
    }

    private func startHeartbeat(_ heartbeat: ServerConfiguration.Heartbeat) throws {
        let descriptor = heartbeat.descriptor
        // Never let a slow supervisor block the loop.
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        let timer = try LoopTimer(loop: loop)
        timer.doNotKeepLoopAlive()
        heartbeatTimer = timer
        let interval = max(1, heartbeat.interval.milliseconds)
        try timer.start(after: 0, repeating: interval) { [unowned self] in
            var beat: UInt8 = 1
            if write(descriptor, &beat, 1) < 0 && errno == EPIPE && !isDraining {
                logger.warning("supervisor is gone; shutting down")
                beginShutdown(graceful: true)
            }
        }
    }

    private func startGraceTimer() {
        guard graceTimer == nil, let timer = try? LoopTimer(loop: loop) else { return }
        graceTimer = timer
        try? timer.start(after: configuration.gracefulTimeout.milliseconds) { [unowned self] in
            logger.warning("graceful timeout reached; closing remaining connections", metadata: ["connections": "\(connections.count)"])
            for connection in connections.values { connection.closeNow() }
        }
    }

    /// Closes the worker's own handles; the loop ends once connections are gone too.
    private func closeHandles() {
        listener?.close()
        listener = nil
        sweep?.close()
        sweep = nil
        graceTimer?.close()
        graceTimer = nil
        heartbeatTimer?.close()
        heartbeatTimer = nil
        wakeup?.close()
        wakeup = nil
    }
}

/// Where a worker listens.
enum ListenEndpoint {
    case address(host: String, port: Int, reusePort: Bool)
    /// A listening socket inherited from a supervising process.
    case inherited(Int32)
}

/// The thread-safe side of a ``LoopWorker``: a mailbox and the wakeup that makes the loop read it.
final class WorkerRemote: Sendable {
    enum Message: Sendable {
        case partReady(Int)
        case shutdown(graceful: Bool)
    }

    private let mailbox = Mutex<[Message]>([])
    private let sender: AsyncWakeup.Sender

    init(sender: AsyncWakeup.Sender) { self.sender = sender }

    /// Any thread.
    func post(_ message: Message) {
        mailbox.withLock { $0.append(message) }
        sender.send()
    }

    /// Loop thread.
    func takeMail() -> [Message] {
        mailbox.withLock { mail in
            defer { mail.removeAll(keepingCapacity: true) }
            return mail
        }
    }
}

/// Counts responses across all loops toward ``ServerConfiguration/maxRequests`` and asks for a
/// graceful shutdown once, when the count is reached.
final class RequestBudget: Sendable {
    private let limit: Int
    private let spent = Atomic<Int>(0)
    private let exhausted: Mutex<(@Sendable () -> Void)?>

    init(limit: Int) {
        self.limit = limit
        exhausted = Mutex(nil)
    }

    /// What to do when the budget is spent (set once the server exists).
    func whenExhausted(_ action: @escaping @Sendable () -> Void) { exhausted.withLock { $0 = action } }

    func spend() {
        let (count, _) = spent.add(1, ordering: .relaxed)
        guard count == limit else { return }
        let action = exhausted.withLock { $0 }
        action?()
    }
}
