/// What one `RequestParser.parse` call found. One event per call; the caller loops until `.needMore`.
public enum ParseEvent: Equatable, Sendable {
    /// More bytes are needed. Pass the unconsumed bytes again, first, followed by new ones.
    case needMore
    /// `RequestParser.head` is ready; its ranges are offsets into the bytes of this call.
    case head
    /// Body data at this range of the bytes of this call (never empty).
    case body(Range<Int>)
    /// The message is complete; the next call starts the next pipelined request.
    case end
    /// The request is malformed or passes a limit. Terminal: every later call returns it again.
    case error(ParseError)
}
