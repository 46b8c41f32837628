import Foundation
import HTTP1Parser

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

/// FNV-1a of the fixture's name: a seed that does not change between runs (unlike `Hasher`).
func stableSeed(_ text: String) -> UInt64 {
    text.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01B3 }
}
