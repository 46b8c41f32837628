// libFuzzer target for HTTP1Parser. Built by Fuzz/run.sh with swiftc (never by SwiftPM):
// the parser as its own module, this file linked against it, both with -sanitize=fuzzer,address.
//
// An input is a configuration header followed by the bytes of a stream (see `FuzzInput`). The
// stream is parsed whole, then again cut into pieces chosen by the header, the way a server drives
// the parser: unconsumed bytes re-presented first, one event per call, until `.needMore` or
// `.error`; `finish()` at the end. Any broken invariant is a `fatalError`, which libFuzzer records
// as a crash:
// - no crash, no read outside the presented bytes (each call gets a fresh allocation of exactly
//   the bytes presented, so AddressSanitizer catches an over-read; asserts are on as well);
// - consumed bytes never exceed the presented ones; an event other than `.needMore` makes progress
//   (only one `.end` in a row may consume nothing);
// - `.head` consumes `head.length` bytes and every range of the head lies inside them;
// - a body range is non-empty, inside the presented bytes, and ends where the consumed bytes end;
// - an error consumes nothing and is terminal: later calls and `finish()` repeat it;
// - `isBetweenMessages` is true exactly when `finish()` would answer nil;
// - split independence: the events (ranges as stream offsets, bodies merged) and the error are the
//   same for the whole stream and for the cut one.
import HTTP1Parser

/// The layout of a fuzz input:
/// - byte 0, flags: bit 0 enables `Leniencies.allowBareLF`; bit 1 means 7 bytes of limits follow
///   the split byte (else the default limits apply);
/// - byte 1, splits: how the stream is cut (`splitSizes(splitByte:count:)`, shared with the
///   connection fuzzers);
/// - with flag bit 1, 7 bytes: request line, field line, field count (& 0x0F), head (x 4), body,
///   chunk extension (& 0x3F) and trailer limits;
/// - the rest: the stream.
struct FuzzInput {
    var leniencies: Leniencies = []
    var limits = ParserLimits()
    var splitByte: UInt8 = 0
    var stream: [UInt8] = []

    init?(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count >= 2 else { return nil }
        let flags = bytes[0]
        splitByte = bytes[1]
        var start = 2
        if flags & 1 != 0 { leniencies = .allowBareLF }
        if flags & 2 != 0 {
            guard bytes.count >= 9 else { return nil }
            limits.maxRequestLineLength = Int(bytes[2])
            limits.maxFieldLength = Int(bytes[3])
            limits.maxFieldCount = Int(bytes[4] & 0x0F)
            limits.maxHeadLength = Int(bytes[5]) * 4
            limits.maxBodyLength = Int(bytes[6])
            limits.maxChunkExtensionLength = Int(bytes[7] & 0x3F)
            limits.maxTrailerLength = Int(bytes[8])
            start = 9
        }
        stream = Array(bytes[start...])
    }

    /// The sizes of the pieces the stream is cut into.
    func pieces() -> [Int] { splitSizes(splitByte: splitByte, count: stream.count) }
}

/// One event as it compares across splits: every range shifted to a stream offset, and
/// consecutive body events merged into one list of contiguous stream ranges.
enum Record: Equatable {
    case head(HeadRecord)
    case body([Range<Int>])
    case end
    case error(ParseError)
    case finish(ParseError?)
}

struct FieldRecord: Equatable {
    var name: Range<Int>
    var value: Range<Int>
}

struct HeadRecord: Equatable {
    var start: Int
    var length: Int
    var method: Range<Int>
    var target: Range<Int>
    var targetForm: TargetForm
    var path: Range<Int>
    var query: Range<Int>?
    var version: HTTPVersion
    var fields: [FieldRecord]
    var contentLength: Int?
    var isChunked: Bool
    var keepAlive: Bool
    var expectation: Expectation
}

func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant broken: \(message())") }
}

/// Drives one parser like a server: appends each piece to the unconsumed bytes, presents them in
/// an allocation of exactly their size, loops until `.needMore` or `.error`, drops what was consumed.
struct Driver: ~Copyable {
    var parser: RequestParser
    var pending: [UInt8] = []
    /// Stream offset of `pending[0]`.
    var offset = 0
    var records: [Record] = []
    var failure: ParseError?

    init(_ input: FuzzInput) {
        parser = RequestParser(limits: input.limits, leniencies: input.leniencies)
    }

    mutating func feed(_ piece: ArraySlice<UInt8>) {
        pending += piece
        if let failure {
            // Terminal: more bytes change nothing.
            let (event, consumed) = parseExact()
            check(event == .error(failure) && consumed == 0, "after \(failure): \(event), \(consumed)")
            return
        }
        var idleEvents = 0
        while true {
            let (event, consumed) = parseExact()
            check(consumed >= 0 && consumed <= pending.count, "consumed \(consumed) of \(pending.count)")
            idleEvents = consumed == 0 ? idleEvents + 1 : 0
            switch event {
            case .needMore:
                check(parser.isBetweenMessages == (parser.endOfInputError == nil), "isBetweenMessages disagrees with finish()")
            case .head:
                checkHead(consumed)
                records.append(.head(headRecord()))
            case .body(let range):
                check(!range.isEmpty && range.lowerBound >= 0 && range.upperBound == consumed, "body \(range), consumed \(consumed)")
                let absolute = (offset + range.lowerBound)..<(offset + range.upperBound)
                if case .body(var ranges) = records.last {
                    if ranges[ranges.count - 1].upperBound == absolute.lowerBound {
                        ranges[ranges.count - 1] = ranges[ranges.count - 1].lowerBound..<absolute.upperBound
                    } else {
                        ranges.append(absolute)
                    }
                    records[records.count - 1] = .body(ranges)
                } else {
                    records.append(.body([absolute]))
                }
            case .end:
                records.append(.end)
            case .error(let error):
                check(consumed == 0, ".error consumed \(consumed)")
                records.append(.error(error))
                failure = error
                let again = parseExact()
                check(again.event == event && again.consumed == 0, "error not repeated: \(again)")
            }
            pending.removeFirst(consumed)
            offset += consumed
            if event == .needMore || failure != nil { return }
            check(idleEvents <= 1, "\(event) made no progress twice in a row")
        }
    }

    mutating func finish() {
        let result = parser.finish()
        if let failure { check(result == failure, "finish() answered \(String(describing: result)) after \(failure)") }
        check(parser.finish() == result, "finish() not repeatable")
        if let result {
            check(parser.parse(UnsafeRawBufferPointer(start: nil, count: 0)) == (.error(result), 0), "not terminal after finish()")
        }
        records.append(.finish(result))
    }

    /// One `parse` call on a fresh allocation holding exactly the pending bytes.
    private mutating func parseExact() -> (event: ParseEvent, consumed: Int) {
        let count = pending.count
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 1)
        defer { buffer.deallocate() }
        pending.withUnsafeBytes { buffer.copyMemory(from: $0) }
        return parser.parse(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
    }

    private func checkHead(_ consumed: Int) {
        let head = parser.head
        check(head.length == consumed && consumed > 0, ".head consumed \(consumed), head.length \(head.length)")
        let inside = { (range: Range<Int>) in range.lowerBound >= 0 && range.upperBound <= consumed }
        var ranges = [head.method, head.target, head.path] + head.fields.flatMap { [$0.name, $0.value] }
        if let query = head.query { ranges.append(query) }
        check(ranges.allSatisfy(inside), "head range outside the head: \(ranges), length \(consumed)")
        check(!head.method.isEmpty && !head.target.isEmpty, "empty method or target")
        check(!(head.isChunked && head.contentLength != nil), "chunked with a Content-Length")
    }

    private func headRecord() -> HeadRecord {
        let head = parser.head
        let offset = self.offset
        let shift = { (range: Range<Int>) in (offset + range.lowerBound)..<(offset + range.upperBound) }
        return HeadRecord(
            start: offset, length: head.length, method: shift(head.method), target: shift(head.target),
            targetForm: head.targetForm, path: shift(head.path), query: head.query.map(shift),
            version: head.version,
            fields: head.fields.map { FieldRecord(name: shift($0.name), value: shift($0.value)) },
            contentLength: head.contentLength, isChunked: head.isChunked, keepAlive: head.keepAlive,
            expectation: head.expectation)
    }
}

/// Records of parsing `input.stream` cut into `pieces` (the whole stream when empty).
func transcript(_ input: FuzzInput, pieces: [Int]) -> [Record] {
    var driver = Driver(input)
    var start = 0
    for size in pieces {
        driver.feed(input.stream[start..<(start + size)])
        start += size
    }
    if start < input.stream.count || pieces.isEmpty {
        driver.feed(input.stream[start...])
    }
    driver.finish()
    return driver.records
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let input = FuzzInput(UnsafeBufferPointer(start: data, count: size)) else { return 0 }
    let whole = transcript(input, pieces: [])
    let pieces = input.pieces()
    let split = transcript(input, pieces: pieces)
    check(split == whole, "split \(pieces) differs:\n  split: \(split)\n  whole: \(whole)")
    return 0
}
