import Foundation
import Logging
import Testing
import TestSupport
import WSGIServer

/// Checklist D: `wsgi.errors` (PEP 3333 "Input and Error Streams").
@Suite struct ErrorsStreamTests {
    /// Serves one request whose application writes to `wsgi.errors`; returns the records the server
    /// logged from it.
    static func errorOutput(threads: Int = 0, _ write: @escaping @Sendable (any WSGIErrors) -> Void) throws -> [LogRecorder.Entry] {
        let harness = try Harness(threads: threads, app: { environ, startResponse in
            write(environ.errors)
            try startResponse("200 OK", [("Content-Length", "2")])
            return ["ok"]
        })
        #expect(try harness.get("/").bodyText == "ok")
        harness.finish()
        return harness.logs.records.filter { $0.metadata["source"] == "wsgi.errors" }
    }

    // MARK: S34

    @Test(arguments: [0, 2])
    func S34_writeWritelinesAndFlushReachTheLog(threads: Int) throws {
        let records = try Self.errorOutput(threads: threads) { errors in
            errors.write("first line\n")
            errors.writelines(["second\n", "third\n"])
            errors.flush()
        }
        #expect(records.map(\.message) == ["first line", "second", "third"])
        #expect(records.allSatisfy { $0.level == .error })
    }

    // MARK: S35

    @Test func S35_anyUnicodeTextIsAccepted() throws {
        let records = try Self.errorOutput { errors in
            errors.write("💥 boom \u{0}\u{FFFD} é\n")
            errors.write("")
            errors.write("\n")
        }
        #expect(records.map(\.message) == ["💥 boom \u{0}\u{FFFD} é"])
    }

    // MARK: S36

    @Test func S36_writesAreForwardedWithoutFlush() throws {
        // flush() may be a no-op because each write already reached the log: the record exists
        // while the application is still running, before any flush.
        let harness = try Harness(app: { environ, startResponse in
            environ.errors.write("unflushed\n")
            try startResponse("200 OK", [("Content-Length", "0")])
            return []
        })
        _ = try harness.get("/")
        harness.finish()
        #expect(harness.logs.records.contains { $0.message == "unflushed" && $0.metadata["source"] == "wsgi.errors" })
    }

    // MARK: S37

    @Test func S37_theDestinationOfWSGIErrorsIsDocumented() throws {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/ENVIRON.md"), encoding: .utf8)
        let row = try #require(text.split(separator: "\n").first { $0.hasPrefix("| `wsgi.errors` |") })
        #expect(row.contains("ServerConfiguration.logger"))
        #expect(row.contains("`error` level"))
        #expect(row.contains("source=wsgi.errors"))
    }
}
