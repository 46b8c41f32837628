/// What a loop does with each of its connections, whatever stage it is at: sweeps its timeout,
/// drains or closes it at shutdown, counts its requests, resumes it when an application thread
/// finished a step. An HTTP/1.1 ``Connection``, or a TLS connection still in its handshake
/// (``TLSHandshake``), which the connection replaces under the same id once the handshake is done.
/// Thread: the loop's.
protocol LoopConnection: AnyObject {
    var id: Int { get }
    /// A request is between its head and the end of its response (metrics' active requests).
    var isHandlingRequest: Bool { get }
    /// The loop's sweep: acts on the timeout in force if it expired.
    func checkTimeout(now: UInt64)
    /// The server drains: finish what is in progress, then close.
    func drain()
    /// Closes now; the loop hears ``LoopContext/connectionClosed`` from the close callback.
    func close()
    /// An application thread has output or a decision for this connection.
    func resume()
}

extension Connection: LoopConnection {}
