import HTTP1Parser
import Testing
@testable import ParserFixtures


/// A field as a test reads it: strings, and ranges as offsets in the whole stream.
struct FieldRecord: Equatable, CustomStringConvertible {
    var name: String
    var value: String
    var nameRange: Range<Int>
    var valueRange: Range<Int>

    var description: String { "\(name): \(value) @\(nameRange)/\(valueRange)" }
}

/// A head as a test reads it: strings resolved, every range an offset in the whole stream (so heads
/// parsed from differently split input compare equal).
struct HeadRecord: Equatable {
    var start: Int
    var length: Int
    var method: String
    var target: String
    var form: TargetForm
    var path: String
    var query: String?
    var version: HTTPVersion
    var fields: [FieldRecord]
    var contentLength: Int?
    var isChunked: Bool
    var keepAlive: Bool
    var expectation: HTTP1Parser.Expectation
    var methodRange: Range<Int>
    var targetRange: Range<Int>
    var pathRange: Range<Int>
    var queryRange: Range<Int>?

    /// The fields as `name: value` strings, the usual thing a test checks.
    var fieldLines: [String] { fields.map { "\($0.name): \($0.value)" } }
}

/// One step of what the parser reported, normalised across input splits: consecutive body events
/// are merged (their stream ranges too, when contiguous).
enum Record: Equatable {
    case head(HeadRecord)
    case body([UInt8], ranges: [Range<Int>])
    case end
    case error(ParseError)
    /// What `finish()` answered when the input ran out.
    case finish(ParseError?)

    var head: HeadRecord? {
        if case .head(let head) = self { head } else { nil }
    }
}

/// Drives a `RequestParser` the way a server does: appends each chunk read to the unconsumed bytes,
/// re-presents them, loops until `.needMore` or `.error`, and drops what each call consumed. It
/// checks the call contract on every call.
final class ParserDriver {
    private(set) var parser: RequestParser
    private var pending: [UInt8] = []
    /// Stream offset of `pending[0]`.
    private var pendingOffset = 0
    private(set) var records: [Record] = []
    /// Number of `parse` calls made.
    private(set) var calls = 0

    init(limits: ParserLimits = .init(), leniencies: Leniencies = []) {
        parser = RequestParser(limits: limits, leniencies: leniencies)
    }

    /// Bytes received but not consumed yet.
    var unconsumed: Int { pending.count }

    /// Whether the parser reported an error; a server stops reading then, and so does the driver.
    private(set) var failed = false

    func feed(_ chunk: some Collection<UInt8>) {
        guard !failed else { return }
        pending.append(contentsOf: chunk)
        for _ in 0..<100_000 {
            calls += 1
            let (event, consumed) = pending.withUnsafeBytes { parser.parse($0) }
            #expect(consumed >= 0 && consumed <= pending.count, "consumed \(consumed) of \(pending.count)")
            record(event, consumed: consumed)
            pending.removeFirst(consumed)
            pendingOffset += consumed
            switch event {
            case .needMore, .error: return
            case .head, .body, .end: continue
            }
        }
        Issue.record("parser never asked for more bytes")
    }

    func finish() {
        records.append(.finish(parser.finish()))
    }

    private func record(_ event: ParseEvent, consumed: Int) {
        switch event {
        case .needMore:
            break
        case .head:
            #expect(consumed == parser.head.length, ".head must consume head.length bytes")
            records.append(.head(resolve(parser.head)))
        case .body(let range):
            #expect(!range.isEmpty && range.upperBound == consumed, "body \(range), consumed \(consumed)")
            let absolute = (pendingOffset + range.lowerBound)..<(pendingOffset + range.upperBound)
            let bytes = Array(pending[range])
            if case .body(let previous, var ranges) = records.last {
                if let last = ranges.last, last.upperBound == absolute.lowerBound {
                    ranges[ranges.count - 1] = last.lowerBound..<absolute.upperBound
                } else {
                    ranges.append(absolute)
                }
                records[records.count - 1] = .body(previous + bytes, ranges: ranges)
            } else {
                records.append(.body(bytes, ranges: [absolute]))
            }
        case .end:
            records.append(.end)
        case .error(let error):
            #expect(consumed == 0, ".error consumes nothing")
            records.append(.error(error))
            failed = true
        }
    }

    private func resolve(_ head: RequestHead) -> HeadRecord {
        let text = { (range: Range<Int>) in latin1String(self.pending[range]) }
        let shift = { (range: Range<Int>) in (self.pendingOffset + range.lowerBound)..<(self.pendingOffset + range.upperBound) }
        return HeadRecord(
            start: pendingOffset, length: head.length,
            method: text(head.method), target: text(head.target), form: head.targetForm,
            path: text(head.path), query: head.query.map(text), version: head.version,
            fields: head.fields.map {
                FieldRecord(name: text($0.name), value: text($0.value), nameRange: shift($0.name), valueRange: shift($0.value))
            },
            contentLength: head.contentLength, isChunked: head.isChunked, keepAlive: head.keepAlive,
            expectation: head.expectation,
            methodRange: shift(head.method), targetRange: shift(head.target), pathRange: shift(head.path),
            queryRange: head.query.map(shift))
    }
}

/// The records of parsing `bytes` cut into chunks of the given sizes (the rest in a last chunk),
/// followed by `finish()`.
func transcript(
    _ bytes: [UInt8], chunkSizes: [Int] = [], limits: ParserLimits = .init(), leniencies: Leniencies = []
) -> [Record] {
    let driver = ParserDriver(limits: limits, leniencies: leniencies)
    var offset = 0
    for size in chunkSizes {
        let end = min(offset + size, bytes.count)
        driver.feed(bytes[offset..<end])
        offset = end
    }
    driver.feed(bytes[offset...])
    driver.finish()
    return driver.records
}

/// The records of parsing `bytes` fed one byte per read.
func byteByByteTranscript(_ bytes: [UInt8], limits: ParserLimits = .init(), leniencies: Leniencies = []) -> [Record] {
    transcript(bytes, chunkSizes: Array(repeating: 1, count: bytes.count), limits: limits, leniencies: leniencies)
}

/// The two-way split points tried for an input of `count` bytes: all of them for inputs up to
/// 2 KiB; for larger ones (limit tests) the first and last 512 and 512 spread over the rest.
func splitPoints(_ count: Int) -> [Int] {
    guard count > 2048 else { return Array(0...count) }
    return Array(Set(Array(0...512) + Array((count - 512)...count) + Array(stride(from: 0, to: count, by: count / 512))))
        .sorted()
}

/// Parses `bytes` whole, then at two-way splits (`splitPoints`), then one byte at a time, expects
/// the same records each time, and returns them.
@discardableResult
func splitIndependentTranscript(
    _ bytes: [UInt8], limits: ParserLimits = .init(), leniencies: Leniencies = [],
    sourceLocation: SourceLocation = #_sourceLocation
) -> [Record] {
    let whole = transcript(bytes, limits: limits, leniencies: leniencies)
    for split in splitPoints(bytes.count) {
        let records = transcript(bytes, chunkSizes: [split], limits: limits, leniencies: leniencies)
        if records != whole {
            Issue.record("split at \(split) differs: \(records) vs \(whole)", sourceLocation: sourceLocation)
            return whole
        }
    }
    let oneByOne = byteByByteTranscript(bytes, limits: limits, leniencies: leniencies)
    #expect(oneByOne == whole, "one byte at a time differs", sourceLocation: sourceLocation)
    return whole
}

/// Expects `bytes` to be refused with `error`, the same for every split, with at most one head
/// before it (never a second request) and nothing after it.
func expectRefused(
    _ bytes: [UInt8], _ error: ParseError, limits: ParserLimits = .init(), leniencies: Leniencies = [],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let records = splitIndependentTranscript(bytes, limits: limits, leniencies: leniencies, sourceLocation: sourceLocation)
    let errorRecords = records.filter { if case .error = $0 { true } else { false } }
    #expect(errorRecords == [.error(error)], "records: \(records)", sourceLocation: sourceLocation)
    #expect(records.compactMap(\.head).count <= 1, "a second request was produced", sourceLocation: sourceLocation)
    #expect(records.last == .finish(error), "finish() must repeat the error", sourceLocation: sourceLocation)
    if let index = records.firstIndex(of: .error(error)) {
        #expect(index == records.count - 2, "events after the error: \(records)", sourceLocation: sourceLocation)
    }
}

/// Shorthand for `expectRefused(latin1(text), ...)`.
func expectRefused(
    _ text: String, _ error: ParseError, limits: ParserLimits = .init(), leniencies: Leniencies = [],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    expectRefused(latin1(text), error, limits: limits, leniencies: leniencies, sourceLocation: sourceLocation)
}

/// The one head of parsing `text` whole (with `Issue`s if there is not exactly one).
func parseHead(
    _ text: String, limits: ParserLimits = .init(), leniencies: Leniencies = [],
    sourceLocation: SourceLocation = #_sourceLocation
) -> HeadRecord? {
    let heads = transcript(latin1(text), limits: limits, leniencies: leniencies).compactMap(\.head)
    #expect(heads.count == 1, "expected one head, got \(heads.count)", sourceLocation: sourceLocation)
    return heads.first
}
