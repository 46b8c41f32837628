import UVLoop

/// The byte stream under a ``Connection``: a libuv TCP socket in the server (``SocketStream``), an
/// in-memory stream in the tests that drive connections without sockets.
///
/// A transport reports back by calling the connection's event methods (``Connection/received(_:)``,
/// ``Connection/writeCompleted(_:)``, ...). Loop thread only.
protocol ConnectionTransport: AnyObject {
    var isReading: Bool { get }
    func startReading() throws
    /// Stops delivering bytes: unread ones wait in the kernel (backpressure on the peer).
    func stopReading()
    /// Writes what the transport takes right now; returns the bytes taken (0 when it would block).
    func tryWrite(_ buffers: WriteBuffers) throws -> Int
    /// Queues `buffers`, whose memory `owner` keeps valid until the write completed; the connection
    /// then hears ``Connection/writeCompleted(_:)``.
    func write(_ buffers: WriteBuffers, keepingAlive owner: AnyObject?) throws
    /// Sends up to `count` bytes of file `descriptor` from `offset` straight from the page cache.
    /// Returns bytes sent, 0 when the transport would block, -1 when the file ended.
    func sendFile(_ descriptor: Int32, offset: Int, count: Int) throws -> Int
    /// The connection hears ``Connection/becameWritable(_:)`` once, when more bytes fit.
    func notifyWhenWritable() throws
    /// Blocks until more bytes fit, for at most `milliseconds` (negative: no limit); false on
    /// timeout. Only for an application's `write()` on the loop thread (see ``Connection/push(_:)``).
    func waitUntilWritable(milliseconds: Int32) throws -> Bool
    /// Blocks until bytes or the end of input can be received, for at most `milliseconds`
    /// (negative: no limit); false on timeout. Only for an application on the loop thread reading
    /// its request body (see ``Connection/receiveBodyForReader()``).
    func waitUntilReadable(milliseconds: Int32) throws -> Bool
    /// Copies up to `buffer.count` received bytes into `buffer` without waiting; with `peeking`
    /// they stay to be received again. Returns the count, 0 at the end of input, nil when nothing
    /// has arrived.
    func receive(into buffer: UnsafeMutableRawBufferPointer, peeking: Bool) throws -> Int?
    /// Sends FIN after queued writes; the connection hears ``Connection/shutdownCompleted(_:)``.
    func shutdown() throws
    /// Closes; queued writes complete with a cancellation error, then the connection hears
    /// ``Connection/closed()``.
    func close()
}

extension SocketStream: ConnectionTransport {
    func close() {
        let client = delegate as? any TransportClient
        close { client?.closed() }
    }
}
