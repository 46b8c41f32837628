/// Size limits the parser enforces, each with the status a server answers when it is passed.
///
/// Length limits are detected at the byte that proves they are passed, not at the end of the line
/// or the head, so a peer cannot make the caller buffer more than the limit allows (a 1 MB request
/// line with no line end fails at its 8191st byte with the defaults).
public struct ParserLimits: Sendable {
    /// Longest request line, excluding its CRLF. Passing it: `.requestLineTooLong` (414).
    public var maxRequestLineLength: Int = 8190
    /// Longest header field line (name, colon, value), excluding its CRLF. Passing it: `.fieldTooLong` (431).
    public var maxFieldLength: Int = 8190
    /// Most header field lines in one head (duplicates count). Passing it: `.tooManyFields` (431).
    public var maxFieldCount: Int = 100
    /// Longest head: request line, field lines and every CRLF up to and including the empty line
    /// (and any empty lines ignored before the request line). Passing it: `.headTooLarge` (431).
    public var maxHeadLength: Int = 65536
    /// Largest body. A Content-Length above it fails when the head completes; a chunked body fails at
    /// the chunk-size line that would take the total above it. Passing it: `.bodyTooLarge` (413).
    public var maxBodyLength: Int = Int.max
    /// Longest chunk extension: the bytes after a chunk size up to its line end, per chunk.
    /// Passing it: `.chunkExtensionTooLong` (400).
    public var maxChunkExtensionLength: Int = 256
    /// Longest trailer section: every trailer field line and CRLF after the last chunk, including
    /// the final empty line. Passing it: `.trailerTooLarge` (431).
    public var maxTrailerLength: Int = 8190

    /// The defaults listed on each property.
    public init() {}
}
