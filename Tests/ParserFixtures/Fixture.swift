// The HTTP/1.1 parser's Markdown fixtures (Tests/HTTP1ParserTests/Fixtures, format in their
// README.md), loaded for the parser's tests and for the fuzzer's seeds (Fuzz/ParserSeeds).
import Foundation
import HTTP1Parser

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
struct Fixture: Sendable {
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

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("HTTP1ParserTests/Fixtures")

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
