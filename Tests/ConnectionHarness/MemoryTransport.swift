#if DEBUG  // @testable imports: debug builds only (a release build of the package skips this)
import Glibc
@testable import HTTPServerCore
import UVLoop

/// A ``ConnectionTransport`` in memory: what the connection writes is collected, every buffer it
/// hands over is recorded by address, and the asynchronous events a socket would deliver later
/// (write completions, shutdown, close) wait until the test runs them.
///
/// With ``acceptsWrites`` false it behaves as a full socket: `tryWrite` takes nothing, so output is
/// queued as asynchronous writes that complete only in ``drain()``.
final class MemoryTransport: ConnectionTransport {
    /// The connection this transport reports to (set once the connection exists).
    weak var connection: Connection?
    /// Every byte the connection wrote that reached the "socket".
    private(set) var output: [UInt8] = []
    /// The start of every buffer handed to `tryWrite` or `write`, in order.
    private(set) var writtenAddresses: [UnsafeRawPointer] = []
    /// How many times the connection tried or queued a write.
    private(set) var writeCalls = 0
    var acceptsWrites = true
    private(set) var isReading = false
    private(set) var isShutDown = false
    private(set) var isClosed = false
    /// Asynchronous writes not completed yet, with the owner of their bytes.
    private var queued: [(bytes: [UInt8], owner: AnyObject?)] = []
    /// Callbacks a loop would deliver on a later turn.
    private var events: [() -> Void] = []

    var hasQueuedWrites: Bool { !queued.isEmpty }
    /// How many bytes reached the "socket" and are not taken yet.
    var outputCount: Int { output.count }
    /// Set: every later write fails with it (the peer reset the connection).
    var failure: UVError?

    func startReading() throws { isReading = true }
    func stopReading() { isReading = false }

    /// The most bytes one `tryWrite` takes (a socket buffer's worth).
    var takesAtMost = Int.max

    func tryWrite(_ buffers: WriteBuffers) throws -> Int {
        writeCalls += 1
        if let failure { throw failure }
        guard acceptsWrites else { return 0 }
        var taken = 0
        for index in 0..<buffers.count where taken < takesAtMost {
            let piece = buffers[index]
            writtenAddresses.append(piece.baseAddress!)
            let count = min(piece.count, takesAtMost - taken)
            output += piece[..<count]
            taken += count
        }
        return taken
    }

    func write(_ buffers: WriteBuffers, keepingAlive owner: AnyObject?) throws {
        writeCalls += 1
        var bytes: [UInt8] = []
        for index in 0..<buffers.count {
            writtenAddresses.append(buffers[index].baseAddress!)
            bytes += buffers[index]
        }
        queued.append((bytes, owner))
        if acceptsWrites { events.append { [weak self] in self?.completeOneWrite() } }
    }

    func sendFile(_ descriptor: Int32, offset: Int, count: Int) throws -> Int {
        guard acceptsWrites else { return 0 }
        var block = [UInt8](repeating: 0, count: count)
        let read = block.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, off_t(offset)) }
        guard read > 0 else { return -1 }
        output += block[0..<read]
        return read
    }

    func notifyWhenWritable() throws {
        events.append { [weak self] in self?.connection?.becameWritable(nil) }
    }

    /// The connection's clock: a wait that ends without the socket ready lets its whole time pass.
    var clock: ServerClock?

    /// Called when the connection blocks for writability (an application's `write()` on the loop
    /// thread); the socket counts as writable afterwards when ``acceptsWrites`` is true.
    var whileWaiting: () -> Void = {}
    private(set) var waits = 0

    func waitUntilWritable(milliseconds: Int32) throws -> Bool {
        waits += 1
        whileWaiting()
        if !acceptsWrites { clock?.advance(milliseconds: UInt64(max(0, milliseconds))) }
        return acceptsWrites
    }

    /// Bytes the peer sent that the connection has not received: what it receives on demand
    /// (an application on the loop thread reading a streamed body); libuv would deliver the rest
    /// on a later turn (``MemoryConnection/deliverUnreceived()``).
    var unreceived: [UInt8] = []
    /// The peer finished sending after ``unreceived``.
    var peerFinished = false
    /// Called when the connection blocks for readability; the socket counts as readable afterwards
    /// when bytes (or the end) wait.
    var whileWaitingToRead: () -> Void = {}
    private(set) var readWaits = 0
    /// The most bytes one receive returns (what one segment brings).
    var receivesAtMost = Int.max

    func waitUntilReadable(milliseconds: Int32) throws -> Bool {
        readWaits += 1
        whileWaitingToRead()
        let ready = !unreceived.isEmpty || peerFinished
        if !ready { clock?.advance(milliseconds: UInt64(max(0, milliseconds))) }
        return ready
    }

    func receive(into buffer: UnsafeMutableRawBufferPointer, peeking: Bool) throws -> Int? {
        if unreceived.isEmpty { return peerFinished ? 0 : nil }
        let count = min(buffer.count, unreceived.count, receivesAtMost)
        buffer.copyBytes(from: unreceived[..<count])
        if !peeking { unreceived.removeFirst(count) }
        return count
    }

    func shutdown() throws {
        isShutDown = true
        events.append { [weak self] in self?.connection?.shutdownCompleted(nil) }
    }

    func close() {
        isClosed = true
        isReading = false
        // libuv cancels queued writes, then runs the close callback.
        let cancelled = queued
        queued = []
        for _ in cancelled { events.append { [weak self] in self?.connection?.writeCompleted(UVError(-125, "write")) } }
        events.append { [weak self] in self?.connection?.closed() }
    }

    /// The socket drained: every queued write completes (its bytes reach the output, its owner is
    /// released after the connection heard of it), then pending events run.
    func drain() {
        acceptsWrites = true
        while !queued.isEmpty { completeOneWrite() }
        runEvents()
    }

    /// Runs the callbacks a loop would deliver next, until none is left.
    func runEvents() {
        while !events.isEmpty {
            let event = events.removeFirst()
            event()
        }
    }

    private func completeOneWrite() {
        guard !queued.isEmpty else { return }
        var write: (bytes: [UInt8], owner: AnyObject?)? = queued.removeFirst()
        output += write!.bytes
        connection?.writeCompleted(nil)
        write = nil  // the owner goes after the completion callback, as with libuv
        _ = write
    }

    /// Takes the output collected so far.
    func takeOutput() -> [UInt8] {
        defer { output = [] }
        return output
    }
}
#endif
