import UVLoop

/// The protocol running over a transport, which hears its events: an HTTP/1.1 ``Connection`` or an
/// ``HTTP2Connection``. A transport reports to exactly one client at a time; a plain connection
/// that turns out to speak HTTP/2 (its preface) hands its transport over once, before any request.
/// Thread: the loop's.
protocol TransportClient: AnyObject {
    var context: LoopContext { get }
    var peerDescription: String { get }
    /// Bytes arrived (valid only during this call).
    func received(_ bytes: UnsafeRawBufferPointer)
    /// The peer finished sending.
    func receivedEOF()
    func readFailed(_ error: UVError)
    /// A write queued with ``ConnectionTransport/write(_:keepingAlive:)`` completed.
    func writeCompleted(_ error: UVError?)
    func shutdownCompleted(_ error: UVError?)
    /// More bytes fit (``ConnectionTransport/notifyWhenWritable()``).
    func becameWritable(_ error: UVError?)
    /// Closes at once.
    func close()
    /// The transport's close callback: the client is gone.
    func closed()
}

/// A ``SocketStream`` reports to its client through this conformance; every event goes to the
/// client's own method of the same meaning.
extension SocketStreamDelegate where Self: TransportClient {
    func streamDidRead(_ stream: SocketStream, _ bytes: UnsafeRawBufferPointer) { received(bytes) }
    func streamDidReachEOF(_ stream: SocketStream) { receivedEOF() }
    func streamDidFail(_ stream: SocketStream, _ error: UVError) { readFailed(error) }
    func streamDidFinishWrite(_ stream: SocketStream, _ error: UVError?) { writeCompleted(error) }
    func streamDidShutdown(_ stream: SocketStream, _ error: UVError?) { shutdownCompleted(error) }
    func streamDidBecomeWritable(_ stream: SocketStream, _ error: UVError?) { becameWritable(error) }
}

extension Connection: TransportClient, SocketStreamDelegate {}
extension HTTP2Connection: SocketStreamDelegate {}
