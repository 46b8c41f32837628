import Glibc
import Logging
import TLS
import UVLoop

/// One event loop of the server: its listeners, its connections, the sweep that enforces their
/// timeouts, its mailbox, and (on the first loop) the monitor's heartbeat.
///
/// Thread: created on any thread, then owned by the one thread that calls ``run()``; other threads
/// reach it only through its ``LoopMailbox``. Lifetime: ``run()`` returns once every handle of the
/// loop is closed, so the loop outlives all of its connections and handles (they refer to it, and to
/// its ``LoopContext``, `unowned`).
final class ServerLoop {
    let loop: Loop
    let context: LoopContext
    let mailbox: LoopMailbox
    private var logger: Logger { context.logger }

    /// Its listeners, one per configured address, with the SERVER_NAME each gives.
    private var listeners: [(listener: SocketListener, serverName: String?)] = []
    private var connections: [Int: any LoopConnection] = [:]
    private var nextConnectionID = 0
    private let maxConnections: Int
    /// Listeners (indexes) with a connection waiting while the loop is at its connection limit,
    /// in the order they asked.
    private var deferredAccepts: [Int] = []
    private var sweep: LoopTimer?
    /// Flushes the access log ``AccessLogWriter/flushDelay`` after a line found its buffer empty.
    private var accessLogFlush: LoopTimer?
    private var wakeup: AsyncWakeup?
    private var graceTimer: LoopTimer?
    private var heartbeatTimer: LoopTimer?
    /// The TLS context of new connections, when the listeners speak TLS.
    private let tlsContexts: TLSContextStore?
    /// Turns the loop at once for TLS input that waits in sessions (``TLSLoopState/wake``).
    private var tlsInput: LoopTimer?
    /// The flush points of deferred output (``LoopContext/flushDeferred()``): after the I/O
    /// callbacks of each iteration, and before the loop waits (output produced by timers and
    /// write completions), where the responder hears ``Responder/threadWillWait()`` too.
    private var afterIO: LoopPhaseWatcher?
    private var beforeWaiting: LoopPhaseWatcher?

    /// Creates the loop and starts listening (connections wait in the backlog until ``run()``).
    /// - Parameters:
    ///   - pool: the application threads, when applications do not run on the loop.
    ///   - beats: this loop calls the monitor's heartbeat (the first loop).
    ///   - tls: the TLS context every listener's connections start with; nil for plain HTTP.
    init(configuration: ServerConfiguration, listen endpoints: [ListenEndpoint], responder: any Responder,
         serverInfo: ServerInfo, stopDeadline: StopDeadline, pool: ThreadPool?, maxConnections: Int, beats: Bool,
         tls: TLSContextStore? = nil) throws {
        self.maxConnections = maxConnections
        tlsContexts = tls
        loop = try Loop()
        context = LoopContext(loop: loop, configuration: configuration, responder: responder, serverInfo: serverInfo, stopDeadline: stopDeadline)
        let wakeup = try AsyncWakeup(loop: loop) {}
        mailbox = LoopMailbox(sender: wakeup.sender)
        self.wakeup = wakeup
        do {
            try setUp(endpoints, wakeup: wakeup, pool: pool)
            if beats, let monitor = configuration.monitor { try startHeartbeat(monitor) }
        } catch {
            closeHandles()
            loop.run()
            try? loop.close()
            throw error
        }
    }

    private func setUp(_ endpoints: [ListenEndpoint], wakeup: AsyncWakeup, pool: ThreadPool?) throws {
        wakeup.setCallback { [unowned self] in self.handleMail() }
        context.connectionClosed = { [unowned self] connection in self.connectionDidClose(connection) }
        if context.configuration.http2.mode != .off {
            // The preface on a plain socket (h2c), or over TLS when ALPN chose nothing (a client
            // with prior knowledge that does not send ALPN).
            context.switchToHTTP2 = { [unowned self] connection, received in
                let transport = connection.transport
                serveHTTP2(id: connection.id, transport: transport, info: connection.info, received: received) { http2 in
                    if let stream = transport as? SocketStream {
                        stream.delegate = http2
                    } else if let tls = transport as? TLSTransport {
                        tls.attach(http2)
                    }
                }
            }
        }
        if let pool {
            let mailbox = self.mailbox
            let resume: @Sendable (Int) -> Void = { id in mailbox.post(.resume(connectionID: id)) }
            context.resumeConnection = resume
            let responder = context.responder
            context.runOnPool = { source, connectionID in
                let channel = PoolChannel(connectionID: connectionID, responder: responder, wake: resume)
                pool.submit { channel.run(source) }
                return channel
            }
        }
        for endpoint in endpoints {
            let listener: SocketListener
            switch endpoint.source {
            case .bind(let host, let port, let reusePort):
                listener = try SocketListener(loop: loop, host: host, port: port, reusePort: reusePort)
            case .adopt(let descriptor):
                listener = try SocketListener(loop: loop, adopting: descriptor)
            }
            let index = listeners.count
            listeners.append((listener, endpoint.serverName))
            try listener.listen(backlog: context.configuration.backlog) { [unowned self] error in self.connectionArrived(at: index, error) }
        }
        let context = self.context
        context.defersFlushes = true
        afterIO = try LoopPhaseWatcher(loop: loop, phase: .afterIO) { context.flushDeferred() }
        let responder = context.responder
        beforeWaiting = try LoopPhaseWatcher(loop: loop, phase: .beforeWaiting) {
            context.flushDeferred()
            responder.threadWillWait()
        }
        if context.accessLog != nil {
            let timer = try LoopTimer(loop: loop)
            accessLogFlush = timer
            context.accessLogNeedsFlush = { [unowned timer] in
                try? timer.start(after: AccessLogWriter.flushDelay) { context.accessLog?.flush() }
            }
        }
        if tlsContexts != nil {
            let state = TLSLoopState()
            let timer = try LoopTimer(loop: loop)
            tlsInput = timer
            state.wake = { [unowned timer, unowned state] in try? timer.start(after: 0) { state.deliverWaiting() } }
            context.tls = state
        }
        let sweep = try LoopTimer(loop: loop)
        self.sweep = sweep
        let interval = min(1000, max(10, context.shortestTimeout / 4))
        try sweep.start(after: interval, repeating: interval) { [unowned self] in self.sweepTick() }
    }

    /// The addresses the listeners are bound to, in order.
    func boundAddresses() throws -> [ListenerAddress] {
        try listeners.map { try $0.listener.boundAddress() }
    }

    /// Runs the loop until shutdown has closed every handle, then closes the loop.
    /// - Returns: whether `uv_loop_close` succeeded (no handle left open).
    @discardableResult
    func run() -> Bool {
        loop.run()
        context.accessLog?.flush()
        context.metrics?.report(connections: 0, activeRequests: 0)
        context.responderScope.removeAll()
        context.responder.threadWillWait()
        do {
            try loop.close()
            return true
        } catch {
            logger.error("event loop did not close cleanly", metadata: ["error": "\(error)"])
            return false
        }
    }

    // MARK: Accepting

    private func connectionArrived(at index: Int, _ error: UVError?) {
        if let error {
            // EMFILE and friends: libuv already dropped that connection to keep the listener
            // from spinning; the server goes on. A flood of them is a few lines a second.
            context.refusalLog.log(logger, level: .warning, "accept failed; connection dropped", metadata: ["error": "\(error)"], now: context.now)
            return
        }
        guard connections.count < maxConnections else {
            // Not accepting makes libuv stop polling the listener: clients wait in the backlog.
            if deferredAccepts.isEmpty {
                context.refusalLog.log(logger, level: .warning, "connection limit reached; accepting paused", metadata: ["limit": "\(maxConnections)"], now: context.now)
            }
            if !deferredAccepts.contains(index) { deferredAccepts.append(index) }
            return
        }
        acceptOne(from: index)
    }

    private func acceptOne(from index: Int) {
        guard index < listeners.count else { return }
        let (listener, serverName) = listeners[index]
        let stream: SocketStream
        do {
            stream = try SocketStream(loop: loop, kind: listener.kind)
        } catch {
            logger.error("cannot create a stream", metadata: ["error": "\(error)"])
            return
        }
        do {
            try listener.accept(into: stream)
            let info: ConnectionInfo
            switch stream.kind {
            case .tcp:
                // Responses are complete writes: do not hold them back (Nagle).
                try stream.setNoDelay(true)
                let peer = try stream.peerAddress()
                let local = try stream.localAddress()
                info = ConnectionInfo(remoteAddress: peer.host, remotePort: peer.port, localAddress: local.host, localPort: local.port, serverName: serverName)
            case .unix:
                info = .unixSocket()
            }
            nextConnectionID += 1
            if let tlsContexts, let shared = context.tls {
                try startHandshake(on: stream, info: info, context: tlsContexts.current, shared: shared)
                return
            }
            if context.configuration.http2.mode == .only {
                serveHTTP2(id: nextConnectionID, transport: stream, info: info, received: UnsafeRawBufferPointer(start: nil, count: 0)) { stream.delegate = $0 }
                return
            }
            let connection = Connection(id: nextConnectionID, context: context, transport: stream, info: info)
            stream.delegate = connection
            connections[connection.id] = connection
            connection.start()
        } catch {
            // A client that reset right after connecting: nothing to serve.
            logger.debug("dropping a connection that failed at accept", metadata: ["error": "\(error)"])
            stream.close(then: nil)
        }
    }

    /// A TLS connection starts with its handshake, in the registry until it is done; then its
    /// connection takes its place, with the session's facts for the applications.
    private func startHandshake(on stream: SocketStream, info: ConnectionInfo, context tlsContext: TLSContext, shared: TLSLoopState) throws {
        let session = try TLSSession(context: tlsContext)
        let handshake = TLSHandshake(id: nextConnectionID, info: info, context: context) { [unowned self] handshake, transport in
            var info = handshake.info
            let session = transport.session
            info.security = ConnectionSecurity(
                protocolVersion: session.protocolVersion, cipher: session.cipherName,
                clientSubject: session.verifiedPeerSubject, applicationProtocol: session.negotiatedProtocol
            )
            if session.negotiatedProtocol == "h2" {
                serveHTTP2(id: handshake.id, transport: transport, info: info, received: UnsafeRawBufferPointer(start: nil, count: 0)) { transport.attach($0) }
                return
            }
            let connection = Connection(id: handshake.id, context: context, transport: transport, info: info)
            transport.attach(connection)
            connections[connection.id] = connection
            connection.start()
        }
        // The stream holds the transport (its delegate) until its close callback.
        let transport = try TLSTransport(stream: stream, session: session, shared: shared, handshake: handshake)
        handshake.transport = transport
        connections[handshake.id] = handshake
    }

    /// An HTTP/2 connection takes the transport (`attach` makes it the transport's client) and the
    /// registry's place under `id`, and starts with the bytes `received` already.
    private func serveHTTP2(
        id: Int, transport: any ConnectionTransport, info: ConnectionInfo, received: UnsafeRawBufferPointer,
        attach: (HTTP2Connection) -> Void
    ) {
        let connection: HTTP2Connection
        do {
            connection = try HTTP2Connection(id: id, context: context, transport: transport, info: info)
        } catch {
            logger.error("cannot start an HTTP/2 session", metadata: ["error": "\(error)"])
            return transport.close()
        }
        attach(connection)
        connections[id] = connection
        connection.start(with: received)
    }

    private func connectionDidClose(_ connection: any LoopConnection) {
        connections[connection.id] = nil
        if !deferredAccepts.isEmpty && !context.isDraining { acceptOne(from: deferredAccepts.removeFirst()) }
        if context.isDraining && connections.isEmpty { closeHandles() }
    }

    // MARK: Mail from other threads

    private func handleMail() {
        for message in mailbox.takeMail() {
            switch message {
            case .resume(let id):
                connections[id]?.resume()
            case .shutdown(let graceful):
                beginShutdown(graceful: graceful)
            }
        }
    }

    // MARK: Timeouts

    /// Timeouts are checked by one periodic sweep, not a timer per connection: arming a timeout is
    /// then one store, and a connection costs no timer handle. The period is a quarter of the
    /// shortest timeout, between 10 ms and 1 s.
    private func sweepTick() {
        context.date.refresh()
        context.accessLog?.tick()
        let now = loop.now
        var activeRequests = 0
        for connection in connections.values {
            connection.checkTimeout(now: now)
            if connection.isHandlingRequest { activeRequests += 1 }
        }
        context.metrics?.report(connections: connections.count, activeRequests: activeRequests)
        context.refusalLog.startSecond(of: now, logger: logger, level: .info)
    }

    // MARK: Shutdown

    /// Stops accepting. Graceful: in-flight requests finish (answered with `Connection: close`)
    /// within the graceful timeout, idle connections get a short grace. Otherwise, or on a second
    /// call: every connection closes now.
    private func beginShutdown(graceful: Bool) {
        let force = !graceful || context.isDraining
        if !context.isDraining {
            logger.info(graceful ? "shutting down gracefully" : "shutting down", metadata: ["connections": "\(connections.count)"])
        }
        context.isDraining = true
        closeListeners()
        if force {
            for connection in connections.values { connection.close() }
        } else {
            for connection in connections.values { connection.drain() }
            startGraceTimer()
        }
        if connections.isEmpty { closeHandles() }
    }

    /// The monitor's heartbeat, from this loop: a loop blocked by application code stops beating.
    private func startHeartbeat(_ monitor: any ServerMonitor) throws {
        let timer = try LoopTimer(loop: loop)
        timer.doNotKeepLoopAlive()
        heartbeatTimer = timer
        let interval = max(1, monitor.heartbeatInterval.milliseconds)
        context.heartbeat = LoopHeartbeat(intervalMilliseconds: interval) { _ = monitor.heartbeat() }
        try timer.start(after: 0, repeating: interval) { [unowned self] in
            if !monitor.heartbeat() && !context.isDraining {
                logger.warning("supervisor is gone; shutting down")
                context.requestStop()
            }
        }
    }

    private func startGraceTimer() {
        guard graceTimer == nil, let timer = try? LoopTimer(loop: loop) else { return }
        graceTimer = timer
        try? timer.start(after: context.configuration.gracefulTimeout.milliseconds) { [unowned self] in
            logger.warning("graceful timeout reached; closing remaining connections", metadata: ["connections": "\(connections.count)"])
            for connection in connections.values { connection.close() }
        }
    }

    private func closeListeners() {
        for (listener, _) in listeners { listener.close() }
        listeners = []
        deferredAccepts = []
    }

    /// Closes the loop's own handles; the loop ends once connections are gone too.
    private func closeHandles() {
        closeListeners()
        sweep?.close()
        sweep = nil
        accessLogFlush?.close()
        accessLogFlush = nil
        graceTimer?.close()
        graceTimer = nil
        heartbeatTimer?.close()
        heartbeatTimer = nil
        tlsInput?.close()
        tlsInput = nil
        afterIO?.close()
        afterIO = nil
        beforeWaiting?.close()
        beforeWaiting = nil
        wakeup?.close()
        wakeup = nil
    }
}

/// One listener of a loop.
struct ListenEndpoint {
    enum Source {
        /// Bind a TCP address (with `SO_REUSEPORT` when every loop binds it).
        case bind(host: String, port: Int, reusePort: Bool)
        /// Take over a listening socket (unix sockets, inherited ones; a duplicate per loop).
        case adopt(Int32)
    }

    let source: Source
    /// SERVER_NAME for its connections (nil: their local address).
    let serverName: String?
}
