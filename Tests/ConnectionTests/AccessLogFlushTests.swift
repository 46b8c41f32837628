import Glibc
import Testing
import TestSupport
import WSGI
@testable import ConnectionHarness
@testable import HTTPServerCore

/// Access log lines are buffered per loop, and the first line of a buffer arranges a flush within
/// ``AccessLogWriter/flushDelay`` (the running loop's timer): lines reach the file soon after their
/// response, not on the next sweep.
@Suite struct AccessLogFlushTests {
    @Test func theFirstLineOfABufferArrangesAFlushAndLaterOnesRideAlong() throws {
        let ends = try Self.logPipe()
        defer { Self.close(ends) }
        let client = try MemoryConnection(app: { _, startResponse in
            try startResponse("200 OK", [])
            return ["ok"]
        }) { $0.accessLog = AccessLog(destination: .descriptor(ends[1])) }
        var arranged = 0
        client.context.accessLogNeedsFlush = { arranged += 1 }
        let request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"

        client.send(request)
        #expect(arranged == 1)
        #expect(Self.read(ends[0]).isEmpty, "buffered until the flush")
        client.send(request + request)
        #expect(arranged == 1, "the flush arranged for the first line writes these too")

        client.context.accessLog?.flush()
        #expect(Self.read(ends[0]).split(separator: "\n").count == 3)
        client.send(request)
        #expect(arranged == 2, "a line in an empty buffer arranges the next flush")
        #expect(try client.responses().count == 4)
    }

    /// A pipe for an access log to write into: (read end, non-blocking; write end). Close it with
    /// ``close(_:)``.
    static func logPipe() throws -> [Int32] {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        _ = fcntl(ends[0], F_SETFL, O_NONBLOCK)
        return ends
    }

    static func close(_ ends: [Int32]) {
        for end in ends { Glibc.close(end) }
    }

    static func read(_ descriptor: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = Glibc.read(descriptor, &buffer, buffer.count)
        return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : ""
    }
}
