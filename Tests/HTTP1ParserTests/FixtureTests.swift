import Foundation
import HTTP1Parser
import Testing
@testable import ParserFixtures

extension Fixture: CustomTestStringConvertible {}

/// The records of a transcript in the fixtures' terms; `length` is dropped from heads when the
/// fixture does not give it. The final `finish()` record disappears when it is implied (nil, or
/// the error just reported).
func expectedEvents(_ records: [Record], comparedWith expected: [ExpectedEvent]) -> [ExpectedEvent] {
    let expectedHeads = expected.compactMap { if case .head(let head) = $0 { head } else { nil } }
    var events: [ExpectedEvent] = []
    var headIndex = 0
    for record in records {
        switch record {
        case .head(let head):
            let stated = headIndex < expectedHeads.count ? expectedHeads[headIndex] : nil
            headIndex += 1
            events.append(.head(ExpectedHead(
                method: head.method, target: head.target, version: head.version, form: head.form,
                path: head.path, query: head.query,
                fields: head.fields.map { ExpectedField(name: $0.name, value: $0.value) },
                contentLength: head.contentLength, isChunked: head.isChunked, keepAlive: head.keepAlive,
                expectation: head.expectation, length: stated?.length == nil ? nil : head.length)))
        case .body(let bytes, _):
            events.append(.body(bytes))
        case .end:
            events.append(.end)
        case .error(let error):
            events.append(.error(error))
        case .finish(nil):
            break
        case .finish(let error?):
            if events.last != .error(error) { events.append(.eof(error)) }
        }
    }
    return events
}

/// The events written back in the `log` format (every head property spelled out), for failure messages.
func logText(_ events: [ExpectedEvent]) -> String {
    func escaped(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { byte in
            switch byte {
            case 0x0D: "\\r"
            case 0x0A: "\\n"
            case 0x09: "\\t"
            case 0x5C: "\\\\"
            case 0x20...0x7E: String(Character(Unicode.Scalar(byte)))
            default: "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }.joined()
    }
    func escaped(_ text: String) -> String { escaped(latin1(text)) }
    var lines: [String] = []
    for event in events {
        switch event {
        case .head(let head):
            lines.append("head \(escaped(head.method)) \(escaped(head.target)) \(head.version == .http1_1 ? "HTTP/1.1" : "HTTP/1.0")")
            lines.append("  form \(head.form)")
            // An empty value is the keyword alone: no trailing space.
            lines.append(head.path.isEmpty ? "  path" : "  path \(escaped(head.path))")
            lines.append(head.query.map { $0.isEmpty ? "  query" : "  query \(escaped($0))" } ?? "  query none")
            lines += head.fields.map { "  field \(escaped($0.name)):" + ($0.value.isEmpty ? "" : " \(escaped($0.value))") }
            if let length = head.contentLength { lines.append("  content-length \(length)") }
            if head.isChunked { lines.append("  chunked") }
            lines.append("  keep-alive \(head.keepAlive ? "yes" : "no")")
            if head.expectation != .none { lines.append("  expectation \(head.expectation)") }
            if let length = head.length { lines.append("  length \(length)") }
        case .body(let bytes): lines.append("body \(escaped(bytes))")
        case .end: lines.append("end")
        case .error(let error): lines.append("error \(error)")
        case .eof(let error): lines.append("eof \(error)")
        }
    }
    return lines.joined(separator: "\n")
}

@Suite("Fixtures (Tests/HTTP1ParserTests/Fixtures)")
struct FixtureTests {
    @Test func everyFixtureFileLoads() {
        #expect(FixtureSet.loaded.problems.isEmpty, "\(FixtureSet.loaded.problems.joined(separator: "\n"))")
        #expect(
            FixtureSet.fixtures.count >= FixtureSet.minimumCount,
            "only \(FixtureSet.fixtures.count) fixtures in \(FixtureSet.directory.path)")
    }

    /// Each error is specified by at least one fixture (the end-of-input ones by an `eof` line).
    @Test func everyErrorHasAFixture() {
        var covered: Set<String> = []
        for fixture in FixtureSet.fixtures {
            for event in fixture.expected {
                if case .error(let error) = event { covered.insert("\(error)") }
                if case .eof(let error) = event { covered.insert("\(error)") }
            }
        }
        let missing = ParseError.allCases.map { "\($0)" }.filter { !covered.contains($0) }
        #expect(missing.isEmpty, "errors without a fixture: \(missing)")
    }

    /// Parsed whole, split at every byte boundary, one byte at a time and in seeded random pieces,
    /// the fixture gives exactly its log.
    @Test(arguments: FixtureSet.fixtures)
    func fixture(_ fixture: Fixture) {
        let location = SourceLocation(fileID: "HTTP1ParserTests/Fixtures/\(fixture.file)", filePath: fixture.file, line: fixture.line, column: 1)
        let records = splitIndependentTranscript(
            fixture.request, limits: fixture.limits, leniencies: fixture.leniencies, sourceLocation: location)
        let actual = expectedEvents(records, comparedWith: fixture.expected)
        #expect(
            actual == fixture.expected,
            "expected:\n\(logText(fixture.expected))\nactual:\n\(logText(actual))", sourceLocation: location)

        var random = SplitMix64(state: stableSeed(fixture.name))
        for round in 0..<16 {
            var pieces: [Int] = []
            var remaining = fixture.request.count
            let longest = [2, 5, 16, 64][round % 4]
            while remaining > 0 {
                let size = Int.random(in: 1...min(longest, remaining), using: &random)
                pieces.append(size)
                remaining -= size
            }
            let cut = transcript(fixture.request, chunkSizes: pieces, limits: fixture.limits, leniencies: fixture.leniencies)
            if cut != records {
                Issue.record("pieces \(pieces) differ: \(cut)", sourceLocation: location)
                break
            }
        }

        if fixture.isValid { everyProperPrefixNeedsMore(fixture, records, location) }
    }

    /// A proper prefix of a valid stream is never an error and never completes its last message;
    /// before the first head is complete nothing is reported and nothing consumed.
    private func everyProperPrefixNeedsMore(_ fixture: Fixture, _ whole: [Record], _ location: SourceLocation) {
        let firstHeadLength = whole.first?.head.map { $0.start + $0.length } ?? fixture.request.count
        let ends = whole.filter { $0 == .end }.count
        for length in splitPoints(fixture.request.count) where length < fixture.request.count {
            let driver = ParserDriver(limits: fixture.limits, leniencies: fixture.leniencies)
            driver.feed(fixture.request[..<length])
            let records = driver.records
            if records.contains(where: { if case .error = $0 { true } else { false } })
                || (ends > 0 && records.filter({ $0 == .end }).count >= ends)
                || (length < firstHeadLength && (!records.isEmpty || driver.unconsumed != length))
            {
                Issue.record("prefix of \(length) bytes: \(records), \(driver.unconsumed) unconsumed", sourceLocation: location)
                return
            }
        }
    }
}
