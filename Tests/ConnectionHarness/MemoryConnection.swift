#if DEBUG  // @testable imports: debug builds only (a release build of the package skips this)
import Logging
import TestSupport
import UVLoop
import WSGI
@testable import HTTPServerCore
@testable import WSGIServer

/// One connection driven from bytes, without sockets: the real ``Connection`` (parser, limits,
/// framing, keep-alive, pipelining) with the real Swift WSGI gateway behind it (response protocol,
/// environ), over a ``MemoryTransport``. Time is a manual clock (``clock``): it stands still unless
/// the test moves it, or a wait for the client lets its whole slice pass (``MemoryTransport``). The
/// loop exists only because a context needs one; it never runs.
final class MemoryConnection {
    let transport = MemoryTransport()
    /// Set until `deinit`, which lets go of it before the loop's last wait (its handler may hold
    /// runtime objects: the Python host's are given back with the GIL).
    private(set) var connection: Connection!
    private let loop: Loop
    let context: LoopContext
    /// The connection's time.
    let clock = ServerClock.manual()
    /// Times the connection's close callback reached the loop.
    private(set) var closeCallbacks = 0

    /// The Swift gateway serving `app`.
    /// - Parameter deferring: the connection's output waits for the loop's flush point
    ///   (``flushPoint()``), as in a running loop; otherwise each turn flushes at once.
    convenience init(app: @escaping Application, deferring: Bool = false, configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        try self.init(deferring: deferring, configure: configure) { configuration in
            Gateway(context: GatewayContext(application: app, scriptName: "", extra: [:], logger: configuration.logger))
        }
    }

    /// Any runtime's `Responder` (the Python host's, say), made from the final configuration.
    init(deferring: Bool = false, configure: (inout ServerConfiguration) -> Void = { _ in }, responder: (ServerConfiguration) -> any Responder) throws {
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 8000)
        configuration.logger = TestServer.quietLogger()
        configure(&configuration)
        loop = try Loop()
        let server = ServerInfo(
            software: configuration.serverSoftware, urlScheme: "http", host: configuration.host,
            applicationThreads: 0, multithread: false, multiprocess: false, forwardedAllowIPs: configuration.forwardedAllowIPs
        )
        context = LoopContext(loop: loop, configuration: configuration, responder: responder(configuration), serverInfo: server, clock: clock)
        transport.clock = clock
        context.defersFlushes = deferring
        let info = ConnectionInfo(remoteAddress: "192.0.2.7", remotePort: 40000, localAddress: "127.0.0.1", localPort: 8000)
        connection = Connection(id: 1, context: context, transport: transport, info: info)
        transport.connection = connection
        context.connectionClosed = { [weak self] _ in self?.closeCallbacks += 1 }
        connection.start()
    }

    deinit {
        if !transport.isClosed { connection.close() }
        transport.runEvents()
        context.flushDeferred()
        connection = nil
        context.responderScope.removeAll()
        loopWaits()
        try? loop.close()
    }

    /// The loop would now wait for I/O: the runtime hears ``Responder/threadWillWait()`` (the
    /// Python host gives the GIL back), as at the end of every turn of a running loop.
    private func loopWaits() { context.responder.threadWillWait() }

    /// The client sends `text` (bytes 1:1 from the string's scalars up to U+00FF).
    func send(_ text: String) { send(text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }) }

    func send(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { connection.received($0) }
        transport.runEvents()
        loopWaits()
    }

    /// The client sends `bytes`, which wait in the "kernel" until the connection receives them on
    /// demand or ``deliverUnreceived()`` hands them over.
    func sendUnreceived(_ bytes: [UInt8]) { transport.unreceived += bytes }

    /// The loop's next read: what the connection did not receive on demand reaches it.
    func deliverUnreceived() {
        let bytes = transport.unreceived
        transport.unreceived = []
        if !bytes.isEmpty { send(bytes) }
    }

    /// The loop reaches its flush point: deferred output is written.
    func flushPoint() {
        context.flushDeferred()
        transport.runEvents()
        loopWaits()
    }

    /// The socket drained (``MemoryTransport/drain()``), then the loop waits.
    func drain() {
        transport.drain()
        loopWaits()
    }

    /// The connection closes (the server's shutdown, a timeout), then the loop waits.
    func close() {
        connection.close()
        transport.runEvents()
        loopWaits()
    }

    /// Time passes: the clock moves `milliseconds` on, then the loop's sweep checks the
    /// connection's timeout (as ``ServerLoop`` does every sweep period).
    func advance(milliseconds: UInt64) {
        clock.advance(milliseconds: milliseconds)
        connection.checkTimeout(now: clock.milliseconds)
        transport.runEvents()
        loopWaits()
    }

    /// The client half-closes (FIN).
    func sendEOF() {
        connection.receivedEOF()
        transport.runEvents()
        loopWaits()
    }

    var state: Connection.State { connection.state }

    /// Every complete response written so far (taken from the output); `head` for answers to HEAD.
    func responses(head: Bool = false) throws -> [HTTPResponse] {
        var bytes = transport.takeOutput()
        var found: [HTTPResponse] = []
        while let (response, used) = try HTTPResponse.parse(bytes, head: head, atEOF: transport.isShutDown || transport.isClosed) {
            found.append(response)
            bytes.removeFirst(used)
            if bytes.isEmpty { break }
        }
        guard bytes.isEmpty else {
            throw RawClient.Failure("bytes after the last complete response: \(String(decoding: bytes, as: UTF8.self).debugDescription)")
        }
        return found
    }

    /// The one response written so far.
    func response(head: Bool = false) throws -> HTTPResponse {
        let all = try responses(head: head)
        guard all.count == 1 else { throw RawClient.Failure("\(all.count) responses: \(all)") }
        return all[0]
    }

    /// The raw output so far, as text (taken).
    func rawOutput() -> String { String(decoding: transport.takeOutput(), as: UTF8.self) }
}
#endif
