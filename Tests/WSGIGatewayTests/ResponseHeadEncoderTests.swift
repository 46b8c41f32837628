import HTTPServerCore
import SharedBytes
import Testing
import WSGI
import WSGIGateway

/// Checking and encoding `start_response`'s arguments into the core's head.
@Suite struct ResponseHeadEncoderTests {
    @Test func statusAndHeadersAreEncodedInOrderAsLatin1() throws {
        let head = try ResponseHeadEncoder.encode(
            status: "200 Gr\u{FC}n", headers: [("Content-Type", "text/plain"), ("X-Name", "caf\u{E9}"), ("Content-Length", "3")]
        )
        #expect(head.status == 200)
        #expect(head.lines.array == Array("200 Gr".utf8) + [0xFC] + Array("n\r\nContent-Type: text/plain\r\nX-Name: caf".utf8) + [0xE9] + Array("\r\nContent-Length: 3\r\n".utf8))
        #expect(head.contentLength == 3)
        #expect(!head.appendsContentLength && !head.hasDate && !head.hasServer)
    }

    @Test func dateAndServerAreNoticed() throws {
        let head = try ResponseHeadEncoder.encode(status: "200 OK", headers: [("date", "x"), ("SERVER", "y")])
        #expect(head.hasDate && head.hasServer)
    }

    @Test func aLengthOnAStatusThatForbidsOneIsDropped() throws {
        for status in ["204 No Content", "101 Switching Protocols"] {
            let head = try ResponseHeadEncoder.encode(status: status, headers: [("Content-Length", "5"), ("X-A", "b")])
            #expect(head.contentLength == nil)
            #expect(head.lines.utf8String == "\(status)\r\nX-A: b\r\n")
        }
        let notModified = try ResponseHeadEncoder.encode(status: "304 Not Modified", headers: [("Content-Length", "5")])
        #expect(notModified.contentLength == 5, "a 304 may describe the representation")
    }

    @Test func badArgumentsNameTheirProblem() {
        let cases: [(String, ResponseHeaders, WSGIError)] = [
            ("200", [], .invalidStatus("200")),
            ("200 OK\r\nX: y", [], .invalidStatus("200 OK\r\nX: y")),
            ("200 OK", [("Bad Name", "v")], .invalidHeaderName("Bad Name")),
            ("200 OK", [("X", "a\r\nInjected: b")], .invalidHeaderValue(name: "X")),
            ("200 OK", [("X", "\u{20AC}")], .notLatin1("\u{20AC}")),
            ("200 OK", [("Connection", "close")], .hopByHopHeader("Connection")),
            ("200 OK", [("Content-Length", "5"), ("Content-Length", "5")], .invalidHeaderValue(name: "Content-Length")),
            ("200 OK", [("Content-Length", "-1")], .invalidHeaderValue(name: "Content-Length")),
            ("200 OK", [("Content-Length", " 5")], .invalidHeaderValue(name: "Content-Length")),
        ]
        for (status, headers, error) in cases {
            #expect(throws: error, "\(status) \(headers)") { try ResponseHeadEncoder.encode(status: status, headers: headers) }
        }
    }

    @Test func emptyValuesAreAllowed() throws {
        let head = try ResponseHeadEncoder.encode(status: "200 OK", headers: [("X-Empty", "")])
        #expect(head.lines.utf8String == "200 OK\r\nX-Empty: \r\n")
    }
}
