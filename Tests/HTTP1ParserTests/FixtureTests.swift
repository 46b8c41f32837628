import Foundation
import HTTP1Parser
import Testing

/// What a fixture expects, event by event (the `log` block; the format is in Fixtures/README.md).
enum ExpectedEvent: Equatable, Sendable {
    case head(ExpectedHead)
    case body([UInt8])
    case end
    case error(ParseError)
    /// `finish()` answered this error when the input ran out.
    case eof(ParseError)
}

/// A head as a fixture states it: every value concrete (defaults applied when the fixture is
/// loaded), except `length`, which is compared only when the fixture gives it.
struct ExpectedHead: Equatable, Sendable {
    var method: String
    var target: String
    var version: HTTPVersion
    var form = TargetForm.origin
    var path: String
    var query: String?
    var fields: [ExpectedField] = []
    var contentLength: Int?
    var isChunked = false
    var keepAlive: Bool
    var expectation = HTTP1Parser.Expectation.none
    var length: Int?
}

struct ExpectedField: Equatable, Sendable {
    var name: String
    var value: String
}

/// One case of a fixture file.
struct Fixture: Sendable, CustomTestStringConvertible {
    var file: String
    var line: Int
    var name: String
    var limits = ParserLimits()
    var leniencies: Leniencies = []
    var request: [UInt8] = []
    var expected: [ExpectedEvent] = []

    var testDescription: String { "\(file): \(name)" }

    /// A request the parser must accept: no error, and `finish()` is clean at the end.
    var isValid: Bool {
        !expected.contains { if case .error = $0 { true } else if case .eof = $0 { true } else { false } }
    }
}

/// Every fixture of `Fixtures/`, loaded once, and every problem met while loading (a fixture that
/// cannot be read is a test failure, never a skipped case).
enum FixtureSet {
    /// Fewer fixtures than this means cases or files went missing: close to the 419 there are
    /// (the smallest file holds 8), so raise it as fixtures are added.
    static let minimumCount = 415

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static let loaded: (fixtures: [Fixture], problems: [String]) = load()

    static var fixtures: [Fixture] { loaded.fixtures }

    private static func load() -> (fixtures: [Fixture], problems: [String]) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
                .filter { $0.hasSuffix(".md") && $0 != "README.md" }.sorted()
        } catch {
            return ([], ["cannot list \(directory.path): \(error)"])
        }
        var fixtures: [Fixture] = []
        var problems: [String] = []
        for name in names {
            do {
                let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
                var parser = FixtureFileParser(file: name, text: text)
                fixtures += parser.parse()
                problems += parser.problems
            } catch {
                problems.append("\(name): cannot read: \(error)")
            }
        }
        var seen: [String: Fixture] = [:]
        for fixture in fixtures {
            if let other = seen[fixture.testDescription] {
                problems.append("\(fixture.file):\(fixture.line): same name as line \(other.line): \(fixture.name)")
            }
            seen[fixture.testDescription] = fixture
        }
        return (fixtures, problems)
    }
}

/// Reads one Markdown fixture file; every deviation from the format is a problem, with its line.
struct FixtureFileParser {
    let file: String
    let lines: [Substring]
    private(set) var problems: [String] = []

    init(file: String, text: String) {
        self.file = file
        lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    }

    mutating func parse() -> [Fixture] {
        var fixtures: [Fixture] = []
        var current: Fixture?
        var blocks: Set<String> = []
        var index = 0

        func close(_ fixture: Fixture?, _ blocks: Set<String>, _ problems: inout [String]) -> Fixture? {
            guard let fixture else { return nil }
            for required in ["http", "log"] where !blocks.contains(required) {
                problems.append("\(file):\(fixture.line): case '\(fixture.name)' has no \(required) block")
            }
            return blocks.isSuperset(of: ["http", "log"]) ? fixture : nil
        }

        while index < lines.count {
            let line = lines[index]
            let number = index + 1
            index += 1
            if line.hasPrefix("#") {
                // `### name` starts a case; any other heading ends the case before it.
                if let done = close(current, blocks, &problems) { fixtures.append(done) }
                current = line.hasPrefix("### ") ? Fixture(file: file, line: number, name: String(line.dropFirst(4))) : nil
                blocks = []
                continue
            }
            guard line.hasPrefix("```") else { continue }
            let kind = String(line.dropFirst(3))
            var body: [Substring] = []
            while index < lines.count && lines[index] != "```" {
                body.append(lines[index])
                index += 1
            }
            guard index < lines.count else {
                problems.append("\(file):\(number): unclosed ``` block")
                break
            }
            index += 1
            guard current != nil else {
                problems.append("\(file):\(number): ``` block outside a case")
                continue
            }
            guard ["http", "log", "options"].contains(kind) else {
                problems.append("\(file):\(number): unknown block kind '\(kind)'")
                continue
            }
            guard blocks.insert(kind).inserted else {
                problems.append("\(file):\(number): second \(kind) block in one case")
                continue
            }
            switch kind {
            case "http": current!.request = request(body, firstLine: number + 1)
            case "options": options(body, firstLine: number + 1, into: &current!)
            default: current!.expected = log(body, firstLine: number + 1)
            }
        }
        if let done = close(current, blocks, &problems) { fixtures.append(done) }
        return fixtures
    }

    /// The raw bytes of an `http` block: the lines joined without their line breaks, escapes decoded.
    private mutating func request(_ body: [Substring], firstLine: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        for (offset, line) in body.enumerated() {
            if line.hasSuffix(" ") {
                problems.append("\(file):\(firstLine + offset): a line of an http block ends in a space (write \\x20)")
            }
            bytes += unescape(line, line: firstLine + offset)
        }
        return bytes
    }

    private mutating func options(_ body: [Substring], firstLine: Int, into fixture: inout Fixture) {
        for (offset, line) in body.enumerated() {
            let number = firstLine + offset
            let words = line.split(separator: " ")
            guard let key = words.first else { continue }
            switch key {
            case "limits:":
                for setting in words.dropFirst() {
                    let parts = setting.split(separator: "=")
                    guard parts.count == 2, let value = Int(parts[1]) else {
                        problems.append("\(file):\(number): bad limit '\(setting)'")
                        continue
                    }
                    switch parts[0] {
                    case "maxRequestLineLength": fixture.limits.maxRequestLineLength = value
                    case "maxFieldLength": fixture.limits.maxFieldLength = value
                    case "maxFieldCount": fixture.limits.maxFieldCount = value
                    case "maxHeadLength": fixture.limits.maxHeadLength = value
                    case "maxBodyLength": fixture.limits.maxBodyLength = value
                    case "maxChunkExtensionLength": fixture.limits.maxChunkExtensionLength = value
                    case "maxTrailerLength": fixture.limits.maxTrailerLength = value
                    default: problems.append("\(file):\(number): unknown limit '\(parts[0])'")
                    }
                }
            case "leniencies:":
                for name in words.dropFirst() {
                    if name == "allowBareLF" {
                        fixture.leniencies.insert(.allowBareLF)
                    } else {
                        problems.append("\(file):\(number): unknown leniency '\(name)'")
                    }
                }
            default:
                problems.append("\(file):\(number): unknown option line '\(line)'")
            }
        }
    }

    private mutating func log(_ body: [Substring], firstLine: Int) -> [ExpectedEvent] {
        var events: [ExpectedEvent] = []
        var head: (ExpectedHead, path: String?, query: String??)?

        func flushHead() {
            guard let (parsed, path, query) = head else { return }
            var complete = parsed
            // Defaults: path and query split from the target at its first "?".
            let target = Array(parsed.target)
            let mark = target.firstIndex(of: "?")
            complete.path = path ?? String(target[..<(mark ?? target.endIndex)])
            complete.query = query ?? mark.map { String(target[(target.index(after: $0))...]) }
            events.append(.head(complete))
            head = nil
        }

        for (offset, line) in body.enumerated() {
            let number = firstLine + offset
            if line.hasSuffix(" ") || line.contains("\t") {
                problems.append("\(file):\(number): trailing space or tab in a log line (write \\x20 or \\t)")
            }
            if line.hasPrefix("  ") {
                guard head != nil else {
                    problems.append("\(file):\(number): indented line outside a head")
                    continue
                }
                headProperty(line.dropFirst(2), line: number, into: &head!)
                continue
            }
            flushHead()
            let (word, rest) = split(line)
            switch word {
            case "head":
                let parts = rest.split(separator: " ")
                guard parts.count == 3, let version = version(parts[2]) else {
                    problems.append("\(file):\(number): expected 'head METHOD TARGET HTTP/1.x'")
                    continue
                }
                let method = text(parts[0], number)
                head = (
                    ExpectedHead(
                        method: method, target: text(parts[1], number), version: version, path: "",
                        keepAlive: version == .http1_1),
                    nil, nil
                )
            case "body":
                events.append(.body(unescape(rest, line: number)))
            case "end":
                events.append(.end)
            case "error", "eof":
                guard let error = ParseError.allCases.first(where: { "\($0)" == rest }) else {
                    problems.append("\(file):\(number): unknown error '\(rest)'")
                    continue
                }
                events.append(word == "error" ? .error(error) : .eof(error))
            default:
                problems.append("\(file):\(number): unknown log line '\(line)'")
            }
        }
        flushHead()
        if let last = events.indices.last {
            for (index, event) in events.enumerated() where index != last {
                if case .error = event { problems.append("\(file):\(firstLine): events after an error") }
                if case .eof = event { problems.append("\(file):\(firstLine): events after eof") }
            }
        }
        return events
    }

    private mutating func headProperty(
        _ line: Substring, line number: Int, into head: inout (ExpectedHead, path: String?, query: String??)
    ) {
        let (word, rest) = split(line)
        switch word {
        case "form":
            let forms: [String: TargetForm] = ["origin": .origin, "absolute": .absolute, "authority": .authority, "asterisk": .asterisk]
            guard let form = forms[String(rest)] else {
                problems.append("\(file):\(number): unknown form '\(rest)'")
                return
            }
            head.0.form = form
        case "path":
            head.path = text(rest, number)
        case "query":
            head.query = .some(rest == "none" ? nil : text(rest, number))
        case "field":
            guard let colon = rest.firstIndex(of: ":") else {
                problems.append("\(file):\(number): a field needs 'name: value'")
                return
            }
            var value = rest[rest.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
            head.0.fields.append(ExpectedField(name: text(rest[..<colon], number), value: text(value, number)))
        case "content-length":
            guard let length = Int(rest) else {
                problems.append("\(file):\(number): bad content-length '\(rest)'")
                return
            }
            head.0.contentLength = length
        case "chunked" where rest.isEmpty:
            head.0.isChunked = true
        case "keep-alive" where rest == "yes" || rest == "no":
            head.0.keepAlive = rest == "yes"
        case "expectation" where rest == "continue" || rest == "unsupported":
            head.0.expectation = rest == "continue" ? .continue : .unsupported
        case "length":
            guard let length = Int(rest) else {
                problems.append("\(file):\(number): bad length '\(rest)'")
                return
            }
            head.0.length = length
        default:
            problems.append("\(file):\(number): unknown head property '\(line)'")
        }
    }

    private func split(_ line: Substring) -> (word: Substring, rest: Substring) {
        guard let space = line.firstIndex(of: " ") else { return (line, "") }
        return (line[..<space], line[line.index(after: space)...])
    }

    private func version(_ text: Substring) -> HTTPVersion? {
        switch text {
        case "HTTP/1.1": .http1_1
        case "HTTP/1.0": .http1_0
        default: nil
        }
    }

    /// Escaped text as a Latin-1 string (one scalar per byte), as `ParserDriver` reports strings.
    private mutating func text(_ escaped: Substring, _ line: Int) -> String {
        latin1String(unescape(escaped, line: line))
    }

    /// Decodes `\r`, `\n`, `\t`, `\\`, `\xHH` and `\{COUNT*TEXT}` (TEXT repeated COUNT times; TEXT may
    /// hold escapes but no `}`). Every other byte must be printable ASCII, taken as is.
    mutating func unescape(_ escaped: Substring, line: Int) -> [UInt8] {
        let source = Array(escaped.utf8)
        var bytes: [UInt8] = []
        var index = 0
        func problem(_ message: String) {
            problems.append("\(file):\(line): \(message)")
        }
        while index < source.count {
            let byte = source[index]
            index += 1
            guard byte == UInt8(ascii: "\\") else {
                if byte < 0x20 || byte > 0x7E { problem("raw byte 0x\(String(byte, radix: 16)): write it as an escape") }
                bytes.append(byte)
                continue
            }
            guard index < source.count else {
                problem("a backslash ends the line")
                break
            }
            let escape = source[index]
            index += 1
            switch escape {
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "\\"): bytes.append(0x5C)
            case UInt8(ascii: "x"):
                guard index + 2 <= source.count,
                    let value = UInt8(String(decoding: source[index..<(index + 2)], as: UTF8.self), radix: 16)
                else {
                    problem("\\x needs two hex digits")
                    return bytes
                }
                bytes.append(value)
                index += 2
            case UInt8(ascii: "{"):
                guard let close = source[index...].firstIndex(of: UInt8(ascii: "}")),
                    let star = source[index..<close].firstIndex(of: UInt8(ascii: "*")),
                    let count = Int(String(decoding: source[index..<star], as: UTF8.self)), count > 0
                else {
                    problem("a repeat is \\{COUNT*TEXT}")
                    return bytes
                }
                let unit = unescape(Substring(String(decoding: source[(star + 1)..<close], as: UTF8.self)), line: line)
                for _ in 0..<count { bytes += unit }
                index = close + 1
            default:
                problem("unknown escape \\\(Character(Unicode.Scalar(escape)))")
            }
        }
        return bytes
    }
}

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

/// FNV-1a of the fixture's name: a seed that does not change between runs (unlike `Hasher`).
func stableSeed(_ text: String) -> UInt64 {
    text.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01B3 }
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

    /// Writes every fixture up to 4 KiB as a libFuzzer input (layout: `FuzzInput` in
    /// Fuzz/ParserFuzzer.swift) into `$FUZZ_SEED_DIR`; this is how Fuzz/corpus was made. Runs only
    /// when that variable is set.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["FUZZ_SEED_DIR"] != nil))
    func writeFuzzSeeds() throws {
        let directory = URL(fileURLWithPath: try #require(ProcessInfo.processInfo.environment["FUZZ_SEED_DIR"]))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for fixture in FixtureSet.fixtures where fixture.request.count <= 4096 - 9 {
            let seed = stableSeed(fixture.testDescription)
            var header: [UInt8] = [fixture.leniencies.contains(.allowBareLF) ? 1 : 0, UInt8(truncatingIfNeeded: seed | 1)]
            let limits = fixture.limits
            let defaults = ParserLimits()
            if limits.maxRequestLineLength != defaults.maxRequestLineLength || limits.maxFieldLength != defaults.maxFieldLength
                || limits.maxFieldCount != defaults.maxFieldCount || limits.maxHeadLength != defaults.maxHeadLength
                || limits.maxBodyLength != defaults.maxBodyLength
                || limits.maxChunkExtensionLength != defaults.maxChunkExtensionLength
                || limits.maxTrailerLength != defaults.maxTrailerLength
            {
                // The fuzz header holds small limits only; larger ones are clamped.
                header[0] |= 2
                header += [
                    min(limits.maxRequestLineLength, 255), min(limits.maxFieldLength, 255), min(limits.maxFieldCount, 15),
                    min(limits.maxHeadLength / 4, 255), min(limits.maxBodyLength, 255),
                    min(limits.maxChunkExtensionLength, 63), min(limits.maxTrailerLength, 255),
                ].map { UInt8($0) }
            }
            let name = "fixture-" + String(fixture.file.dropLast(3)) + "-" + String(seed, radix: 16)
            try Data(header + fixture.request).write(to: directory.appendingPathComponent(name))
        }
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
