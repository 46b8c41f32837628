/// The limits an HTTP/2 connection announces and enforces. Defaults follow nginx and h2o where
/// RFC 9113 leaves the choice (100 concurrent streams, a 64 KiB - 1 initial window, 16 KiB frames).
public struct HTTP2Settings: Sendable, Equatable {
    /// SETTINGS_MAX_CONCURRENT_STREAMS: streams a client may have open at once.
    public var maxConcurrentStreams: UInt32 = 100
    /// SETTINGS_INITIAL_WINDOW_SIZE: request body bytes a stream may send ahead of the application.
    public var initialWindowSize: UInt32 = 65_535
    /// SETTINGS_MAX_FRAME_SIZE: the largest frame payload this side accepts.
    public var maxFrameSize: UInt32 = 16_384
    /// SETTINGS_MAX_HEADER_LIST_SIZE: a request head's size as RFC 9113 counts it (each field's
    /// name and value plus 32).
    public var maxHeaderListSize: UInt32 = 65_536
    /// SETTINGS and PING answers queued unsent before the connection counts as flooded.
    public var maxOutboundControlFrames: Int = 1000
    /// CONTINUATION frames after one HEADERS frame (CVE-2024-27316's flood).
    public var maxContinuations: Int = 8
    /// Stream resets by the client allowed in a burst, then per second (CVE-2023-44487's rapid
    /// reset): past them the connection ends with GOAWAY.
    public var resetBurst: Int = 1000
    public var resetsPerSecond: Int = 33
    /// DATA frames without payload or END_STREAM a connection may send (they cost a callback
    /// each and carry nothing: a flood, CVE-2019-9518's class); past them, GOAWAY.
    public var maxEmptyDataFrames: Int = 1000

    public init() {}
}
