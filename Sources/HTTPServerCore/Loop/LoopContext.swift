import HTTP1Parser
import Logging
import UVLoop

/// What the connections of one event loop share: settings, the responder, the output queue, the
/// `Date` line, the clock, and the few ways a connection reaches its loop (it closed; it needs a
/// pool thread; it completed a response).
///
/// Kept apart from ``ServerLoop`` (listener, timers, mailbox) so that a connection can be driven
/// without a running loop, from bytes, by the in-memory tests. Thread: the loop's thread only.
/// Lifetime: held by its loop and by each of its connections.
final class LoopContext {
    /// The loop.
    let loop: Loop
    /// The time its connections go by: the loop's, or a test's (``ServerClock/manual(startingAt:)``).
    let clock: ServerClock
    let configuration: ServerConfiguration
    /// Whether the configuration mounts static directories: tested on every request, read once.
    let servesStaticFiles: Bool
    let logger: Logger
    let responder: any Responder
    /// What the responder's handlers on this loop share.
    let responderScope = LoopScope()
    let serverInfo: ServerInfo
    /// When waits for clients that block this loop's thread give up (shared by the server's loops).
    let stopDeadline: StopDeadline

    /// Shared by this loop's connections; see ``OutputQueue``. A connection that defers its output
    /// takes the queue with it and a fresh one takes its place (``deferOutput(of:)``). Unchecked
    /// exclusivity: loop thread only, and nothing changes it while a connection appends to it.
    @exclusivity(unchecked) private(set) var out = OutputQueue()
    /// The `Date` line, refreshed by the loop's sweep. Unchecked exclusivity: loop thread only,
    /// read in place by the framing of every response.
    @exclusivity(unchecked) var date = DateCache()
    /// `Server: ...\r\n`, in memory of its own (freed in `deinit`).
    let serverLine: UnsafeRawBufferPointer
    /// Connections defer the flush that ends their turn to the loop's flush points (set by a
    /// running loop; tests that drive connections directly flush at once, or call
    /// ``flushDeferred()`` themselves). Unchecked exclusivity: loop thread only, read every turn.
    @exclusivity(unchecked) var defersFlushes = false
    /// Deferred output: connections in the order they deferred, and spare queues. Unchecked
    /// exclusivity: loop thread only, never re-entered (see ``flushDeferred()``).
    @exclusivity(unchecked) private var deferred: [Connection] = []
    @exclusivity(unchecked) private var flushing: [Connection] = []
    @exclusivity(unchecked) private var spareQueues: [OutputQueue] = []
    /// This loop's access log, when one is configured. Unchecked exclusivity: loop thread only,
    /// written by one response at a time.
    @exclusivity(unchecked) var accessLog: AccessLogWriter?
    /// This loop's counts for the server's metrics, when they are on. Unchecked exclusivity: loop
    /// thread only.
    @exclusivity(unchecked) var metrics: LoopMetrics?
    /// Whether connections note when each request began (the metrics or the access log say how
    /// long it took): one clock read at each end, shared by both.
    let timesRequests: Bool
    /// Records of refused requests and client timeouts, rate-limited. Unchecked exclusivity:
    /// loop thread only.
    @exclusivity(unchecked) var refusalLog = LogRateLimit()
    /// Set once the loop shuts down gracefully: responses then carry `Connection: close`.
    /// Unchecked exclusivity: loop thread only, read on every request.
    @exclusivity(unchecked) var isDraining = false

    /// Timeouts in milliseconds.
    private let headerRead, bodyRead, keepAliveIdle, write, lingeringClose: UInt64

    /// The first access log line is waiting for a flush: the loop flushes within
    /// ``AccessLogWriter/flushDelay`` (its timer; set by a running loop).
    var accessLogNeedsFlush: () -> Void = {}
    /// A connection's close callback ran: forget it.
    var connectionClosed: (any LoopConnection) -> Void = { _ in }
    /// Runs `source` on an application thread for the connection with that id (its parts wake
    /// it); nil when applications run on the loop thread.
    var runOnPool: ((any ResponseSource, Int) -> PoolChannel)?
    /// Hands a plain connection that sent HTTP/2's preface over to an ``HTTP2Connection``, with
    /// the bytes received from the preface on; nil where HTTP/2 is off (and in tests that drive
    /// connections without a loop).
    var switchToHTTP2: ((Connection, UnsafeRawBufferPointer) -> Void)?
    /// Makes the loop call a connection's ``Connection/resume()`` (any thread); set with
    /// ``runOnPool``, for what application threads tell a connection besides parts.
    var resumeConnection: (@Sendable (Int) -> Void)?
    /// The server should stop gracefully (a monitor's budget is spent).
    var requestStop: () -> Void = {}
    /// On the loop that beats a supervisor's heartbeat: a way to beat while a connection blocks
    /// this thread waiting for a client (``Connection/waitForClient(_:until:)``).
    var heartbeat: LoopHeartbeat?
    /// What this loop's TLS connections share; nil when the server speaks no TLS.
    var tls: TLSLoopState?
    /// Where a connection receives body bytes for an application on this thread
    /// (Connection+ReceivingBody); one such receive runs at a time per loop. Allocated at the first
    /// use, freed in `deinit`. Unchecked exclusivity: loop thread only.
    @exclusivity(unchecked) private var receiveBuffer: UnsafeMutableRawBufferPointer?
    /// Where an HTTP/2 connection gathers the frames of one flush into one write
    /// (``HTTP2Connection/flushOutput(budget:)``; empty again when the flush returns). Allocated at
    /// the first use, freed in `deinit`. Unchecked exclusivity: loop thread only.
    @exclusivity(unchecked) private var frameBuffer: UnsafeMutableRawBufferPointer?

    init(loop: Loop, configuration: ServerConfiguration, responder: any Responder, serverInfo: ServerInfo,
         stopDeadline: StopDeadline = StopDeadline(), clock: ServerClock? = nil) {
        self.loop = loop
        self.clock = clock ?? ServerClock(loop: loop)
        self.stopDeadline = stopDeadline
        self.configuration = configuration
        servesStaticFiles = !configuration.staticMounts.isEmpty
        self.logger = configuration.logger
        accessLog = configuration.accessLog.map { AccessLogWriter($0) }
        metrics = configuration.metrics.map { LoopMetrics($0) }
        timesRequests = metrics != nil || accessLog?.needsDuration == true
        self.responder = responder
        self.serverInfo = serverInfo
        let line = Array("Server: \(configuration.serverSoftware)\r\n".utf8)
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: line.count, alignment: 1)
        line.withUnsafeBytes { storage.copyMemory(from: $0) }
        serverLine = UnsafeRawBufferPointer(storage)
        let timeouts = configuration.timeouts
        headerRead = timeouts.headerRead.milliseconds
        bodyRead = timeouts.bodyRead.milliseconds
        keepAliveIdle = timeouts.keepAliveIdle.milliseconds
        write = timeouts.write.milliseconds
        lingeringClose = timeouts.lingeringClose.milliseconds
    }

    deinit {
        serverLine.deallocate()
        receiveBuffer?.deallocate()
        frameBuffer?.deallocate()
    }

    /// The buffer HTTP/2 frames are gathered in (see ``frameBuffer``).
    var frameScratch: UnsafeMutableRawBufferPointer {
        if let frameBuffer { return frameBuffer }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: LoopContext.receiveScratchSize, alignment: 16)
        frameBuffer = buffer
        return buffer
    }

    /// The buffer for receiving body bytes on demand (see ``receiveBuffer``).
    var receiveScratch: UnsafeMutableRawBufferPointer {
        if let receiveBuffer { return receiveBuffer }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: LoopContext.receiveScratchSize, alignment: 16)
        receiveBuffer = buffer
        return buffer
    }

    /// As much as one libuv read delivers.
    static let receiveScratchSize = 64 * 1024

    /// The loop's time in milliseconds (``ServerClock/milliseconds``).
    var now: UInt64 { clock.milliseconds }

    /// How long a timeout of `kind` lasts, in milliseconds.
    func milliseconds(for kind: Timeout) -> UInt64 {
        switch kind {
        case .none: return 0
        case .headerRead: return headerRead
        case .bodyRead: return bodyRead
        case .keepAliveIdle: return keepAliveIdle
        case .write: return write
        case .lingeringClose: return lingeringClose
        }
    }

    /// Adds the access log line of a completed response.
    func logAccess(_ record: AccessRecord, peer: ConnectionInfo, status: Int, bytes: Int, elapsed: UInt64) {
        if accessLog?.append(record, peer: peer, status: status, bytes: bytes, elapsed: elapsed) == true { accessLogNeedsFlush() }
    }

    /// The shortest configured timeout (the sweep's period derives from it).
    var shortestTimeout: UInt64 {
        [headerRead, bodyRead, keepAliveIdle, write, lingeringClose].filter { $0 > 0 }.min() ?? 1000
    }

    // MARK: Deferred output
    //
    // A connection's turn (a read callback: parse, respond) ends with its output queued. Writing it
    // at once would wake the client for this response alone, while the loop goes on with the
    // responses of the other connections that became readable together; the wake-ups cost the
    // kernel, on both sides, more than the writes themselves when responses take microseconds to
    // make. So the turn hands its queued output over (``deferOutput(of:)``) and the loop writes the
    // outputs of all its connections back to back at its next flush point (``flushDeferred()``),
    // in the same iteration: no response waits for more than the iteration's other callbacks.

    /// Takes the queue holding `connection`'s output, to be written at the next flush point, and
    /// puts a fresh queue in its place. nil when output is not deferred (not a running loop, the
    /// flush point itself is running, or `maxDeferred` connections already wait: then it is
    /// written at once, and the queues in use stay bounded).
    func deferOutput(of connection: Connection) -> OutputQueue? {
        guard defersFlushes, deferred.count < Self.maxDeferred else { return nil }
        let queue = out
        out = spareQueues.popLast() ?? OutputQueue(capacity: 512)
        deferred.append(connection)
        return queue
    }

    /// Writes the deferred output of every connection, in the order they deferred it. What the
    /// writes lead to (the next pipelined responses) is written at once, not deferred again: the
    /// loop may be about to wait.
    func flushDeferred() {
        guard !deferred.isEmpty else { return }
        swap(&deferred, &flushing)
        defersFlushes = false
        for index in flushing.indices { flushing[index].flushDeferredOutput() }
        defersFlushes = true
        flushing.removeAll(keepingCapacity: true)
    }

    /// A deferred queue was written: it becomes a spare (large ones are freed).
    func recycle(_ queue: OutputQueue) {
        queue.discard()
        if queue.capacity <= 64 * 1024 { spareQueues.append(queue) }
    }

    /// The most connections whose output waits for one flush point (beyond them a batch is large
    /// enough already); it bounds the queues a loop keeps.
    static let maxDeferred = 256

    /// A connection finished a response: tell the monitor, which may ask the server to stop.
    func responseCompleted() {
        if let monitor = configuration.monitor, monitor.responseCompleted() { requestStop() }
    }
}

/// A supervisor's heartbeat, beaten by a connection that blocks its loop thread waiting for a
/// client (the loop's own timer cannot fire meanwhile). Loop thread only.
final class LoopHeartbeat {
    let intervalMilliseconds: UInt64
    private let beat: () -> Void
    private var lastBeat: UInt64 = 0

    init(intervalMilliseconds: UInt64, beat: @escaping () -> Void) {
        self.intervalMilliseconds = intervalMilliseconds
        self.beat = beat
    }

    /// Beats when an interval has passed since this object last did.
    func beatIfDue() {
        let now = ServerClock.monotonicNanoseconds()
        guard now &- lastBeat >= intervalMilliseconds * 1_000_000 else { return }
        lastBeat = now
        beat()
    }
}
