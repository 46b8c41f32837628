/// What an ``HTTP2Session`` tells the code serving its streams. Every call comes from inside a call
/// into the session, on its thread; none may call back into the session but ``HTTP2Session/consume(_:stream:)``.
/// Bytes given are valid only during the call.
public protocol HTTP2SessionDelegate: AnyObject {
    /// A client opened `stream` with a request head; its fields follow.
    func streamOpened(_ stream: Int32)
    /// One field of the request head (pseudo-header fields first, checked by nghttp2: names are
    /// lower-case, no connection-specific field). Returns false to refuse the field (past a limit):
    /// the stream is then reset.
    func stream(_ stream: Int32, field name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool
    /// The request head is complete; `endsStream`: the request has no body.
    func streamHeadEnded(_ stream: Int32, endsStream: Bool)
    /// Bytes of the request body (DATA); the stream's window opens only when the delegate
    /// consumes them.
    func stream(_ stream: Int32, received bytes: UnsafeRawBufferPointer)
    /// The request body is complete (END_STREAM after DATA or trailers).
    func streamInputEnded(_ stream: Int32)
    /// The stream is closed: answered, or reset by either side (`error` other than `.noError`).
    func streamClosed(_ stream: Int32, error: HTTP2ErrorCode)
    /// The response body's next bytes, copied into `buffer` (at most a frame).
    func stream(_ stream: Int32, readInto buffer: UnsafeMutableRawBufferPointer) -> BodyRead
    /// nghttp2 explains a connection or stream error (for the log).
    func sessionReported(_ message: String)
    /// GOAWAY with `error` went out: the connection ends (a flood, or a protocol error).
    func sessionSentGoAway(error: HTTP2ErrorCode)
}

/// The answer to a read of a response body.
public enum BodyRead {
    /// `count` bytes were copied; more follow.
    case bytes(Int)
    /// `count` bytes were copied (maybe 0) and the body is complete.
    case end(Int)
    /// Nothing is ready: ask again after ``HTTP2Session/resumeData(stream:)``.
    case wait
    /// The body cannot be completed: the stream is reset.
    case fail
}
