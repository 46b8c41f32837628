/// A pure, incremental, strict HTTP/1.1 request parser (RFC 9112, RFC 9110).
///
/// The caller owns the bytes; the parser owns a few words of state and a field table whose memory
/// is reused from one request to the next (so it is noncopyable: one owner frees it). The rules of
/// the call:
/// - bytes not consumed by a call are passed again, first, in the next call, followed by new bytes;
/// - while a head is incomplete the call returns `(.needMore, 0)` and remembers how far it has
///   searched, so re-presented bytes are not scanned again;
/// - `.head` consumes exactly `head.length` bytes; a message without a body then answers
///   `(.end, 0)` on the next call, even with no bytes;
/// - one event per call: the caller loops until `.needMore` (or `.error`);
/// - `.error` consumes nothing and is terminal.
///
/// `@unchecked Sendable` is sound: a parser is noncopyable and its field table is memory only it
/// holds, so moving it to another thread moves all of its state.
public struct RequestParser: ~Copyable, @unchecked Sendable {
    private enum Phase {
        case head
        /// A Content-Length body with this many bytes still to come (more than zero).
        case fixedBody(remaining: Int)
        case chunkedBody
        /// The message is complete; the next call answers `.end`.
        case complete
        case failed(ParseError)
    }

    private let limits: ParserLimits
    private let leniencies: Leniencies
    private var phase = Phase.head
    private var scanner = HeadScanner()
    private var table = FieldTable()
    private var chunked = ChunkedBodyDecoder()

    /// The last head parsed: valid after `.head` until the first byte of the next message is seen.
    public private(set) var head = RequestHead()

    /// - Parameters:
    ///   - limits: the size limits (defaults in `ParserLimits`).
    ///   - leniencies: relaxations of the strict grammar; none by default.
    public init(limits: ParserLimits = .init(), leniencies: Leniencies = []) {
        self.limits = limits
        self.leniencies = leniencies
    }

    /// Parses from the start of `bytes`: the unconsumed bytes of the previous call, then new ones.
    /// Returns one event and how many bytes from the start of `bytes` it consumed.
    public mutating func parse(_ bytes: UnsafeRawBufferPointer) -> (event: ParseEvent, consumed: Int) {
        switch phase {
        case .failed(let error):
            return (.error(error), 0)
        case .complete:
            phase = .head
            scanner = HeadScanner()
            return (.end, 0)
        case .head, .fixedBody, .chunkedBody:
            // An empty buffer may have no base address; no phase can progress without a byte.
            guard let base = bytes.baseAddress, bytes.count > 0 else { return (.needMore, 0) }
            do throws(ParseError) {
                return try advance(Input(base: base, count: bytes.count))
            } catch {
                phase = .failed(error)
                return (.error(error), 0)
            }
        }
    }

    private mutating func advance(_ input: Input) throws(ParseError) -> (event: ParseEvent, consumed: Int) {
        switch phase {
        case .head:
            guard try scanner.scan(input, into: &head, table: &table, limits: limits, leniencies: leniencies) else {
                return (.needMore, 0)
            }
            if head.isChunked {
                chunked = ChunkedBodyDecoder()
                phase = .chunkedBody
            } else if let length = head.contentLength, length > 0 {
                phase = .fixedBody(remaining: length)
            } else {
                phase = .complete
            }
            return (.head, head.length)
        case .fixedBody(let remaining):
            let length = min(remaining, input.count)
            phase = length == remaining ? .complete : .fixedBody(remaining: remaining - length)
            return (.body(0..<length), length)
        case .chunkedBody:
            let result = try chunked.decode(input, limits: limits, leniencies: leniencies)
            if result.event == .end {
                phase = .head
                scanner = HeadScanner()
            }
            return result
        case .complete, .failed:
            preconditionFailure("parse answers these phases without input")
        }
    }

    /// Forgets the message in progress: the next bytes start a new one. For a caller that reads
    /// one head at a time from separate buffers (HTTP/2's streams, each translated into a head):
    /// the field table's memory is kept for the next head.
    public mutating func startNewMessage() {
        phase = .head
        scanner = HeadScanner()
    }

    /// The peer closed the connection. Returns nil when that is a clean end (between messages, or
    /// after a complete message whose `.end` has not been collected yet); otherwise the error
    /// (`.incompleteHead`, `.incompleteBody`, or the error the parser already stopped on), after
    /// which the parser is terminal.
    public mutating func finish() -> ParseError? {
        guard let error = endOfInputError else { return nil }
        phase = .failed(error)
        return error
    }

    /// What ``finish()`` would answer now, without finishing.
    public var endOfInputError: ParseError? {
        switch phase {
        case .complete: nil
        case .head: scanner.hasMessageBytes ? .incompleteHead : nil
        case .fixedBody, .chunkedBody: .incompleteBody
        case .failed(let failure): failure
        }
    }

    /// Whether no byte of a next message has been seen: the last message is complete (or none has
    /// started) and only ignorable empty lines have arrived since. `finish()` is nil exactly then.
    public var isBetweenMessages: Bool {
        switch phase {
        case .complete: true
        case .head: !scanner.hasMessageBytes
        case .fixedBody, .chunkedBody, .failed: false
        }
    }
}
