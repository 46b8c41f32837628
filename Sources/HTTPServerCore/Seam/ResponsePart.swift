import SharedBytes

/// One step of a response, from a ``ResponseSource`` to the core.
public enum ResponsePart: Sendable {
    /// Status and headers, with the first non-empty body chunk when there is one. `final` means
    /// nothing follows: the core completes the response without asking again (so a one-chunk body
    /// leaves with its head in one write).
    case head(ResponseHead, body: Bytes?, final: Bool)
    /// A non-empty body chunk; `final` as above.
    case chunk(Bytes, final: Bool)
    /// The rest of the body is this part of a file, sent with `sendfile(2)`; always final.
    case file(FileSlice)
    /// The body is complete.
    case end
    /// The application failed after the head went out: cut the connection (no clean terminator,
    /// so the client sees the response is incomplete). The reason is logged.
    case abort(String)
}

/// A part of an open file to send as the rest of a body.
public struct FileSlice: Sendable {
    /// The file; it stays open until the source's `close()`.
    public var descriptor: Int32
    /// Where sending starts.
    public var offset: Int
    /// How many bytes to send; `nil` sends to the end of the file.
    public var length: Int?

    public init(descriptor: Int32, offset: Int, length: Int?) {
        self.descriptor = descriptor
        self.offset = offset
        self.length = length
    }
}
