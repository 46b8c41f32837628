import HTTP1Parser
@testable import ParserFixtures
import Testing

/// The values the parser reports are specified by fixtures (Fixtures/messages.md and others); these
/// tests check the offsets of every range, which the fixtures do not state.
@Suite("Well-formed requests")
struct WellFormedRequestTests {
    @Test func simpleGet() throws {
        let text = "GET /index.html?x=1&y=2 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"
        let records = splitIndependentTranscript(latin1(text))
        let head = try #require(records.first?.head)
        #expect(records.count == 3)
        #expect(records.dropFirst() == [.end, .finish(nil)])
        #expect(head.start == 0)
        #expect(head.length == text.utf8.count)
        #expect(head.method == "GET")
        #expect(head.methodRange == 0..<3)
        #expect(head.target == "/index.html?x=1&y=2")
        #expect(head.targetRange == 4..<23)
        #expect(head.form == .origin)
        #expect(head.path == "/index.html")
        #expect(head.pathRange == 4..<15)
        #expect(head.query == "x=1&y=2")
        #expect(head.queryRange == 16..<23)
        #expect(head.version == .http1_1)
        #expect(head.fields == [
            FieldRecord(name: "Host", value: "example.com", nameRange: 34..<38, valueRange: 40..<51),
            FieldRecord(name: "Accept", value: "*/*", nameRange: 53..<59, valueRange: 61..<64),
        ])
        #expect(head.contentLength == nil)
        #expect(head.isChunked == false)
        #expect(head.keepAlive == true)
        #expect(head.expectation == .none)
    }

    @Test func emptyQueryAndNoQuery() throws {
        let withMark = try #require(parseHead("GET /p? HTTP/1.1\r\nHost: h\r\n\r\n"))
        #expect(withMark.path == "/p")
        #expect(withMark.query == "")
        #expect(withMark.queryRange == 7..<7)
        let without = try #require(parseHead("GET /p HTTP/1.1\r\nHost: h\r\n\r\n"))
        #expect(without.path == "/p")
        #expect(without.query == nil)
    }

    @Test func postWithContentLength() throws {
        let head = "POST /submit HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n"
        let records = splitIndependentTranscript(latin1(head + "hello world"))
        #expect(records.count == 4)
        let parsed = try #require(records.first?.head)
        #expect(parsed.contentLength == 11)
        #expect(parsed.isChunked == false)
        #expect(records[1] == .body(latin1("hello world"), ranges: [head.utf8.count..<(head.utf8.count + 11)]))
        #expect(records[2] == .end)
        #expect(records[3] == .finish(nil))
    }

    @Test func chunkedWithExtensionsAndTrailers() throws {
        let head = "POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        let firstSizeLine = "5;name\r\n"
        let secondSizeLine = "6 ; a = b ;c=\"q \\\" d\"\r\n"
        let rest = "0;last=yes\r\nX-Checksum: abc\r\nX-Other:  v \r\n\r\n"
        let text = head + firstSizeLine + "hello\r\n" + secondSizeLine + " world\r\n" + rest
        let records = splitIndependentTranscript(latin1(text))
        #expect(records.count == 4)
        let parsed = try #require(records.first?.head)
        #expect(parsed.isChunked)
        #expect(parsed.contentLength == nil)
        let helloStart = (head + firstSizeLine).utf8.count
        let worldStart = helloStart + "hello\r\n".utf8.count + secondSizeLine.utf8.count
        #expect(records[1] == .body(latin1("hello world"), ranges: [helloStart..<(helloStart + 5), worldStart..<(worldStart + 6)]))
        #expect(records[2] == .end)
        #expect(records[3] == .finish(nil))
    }

    @Test func absoluteForm() throws {
        let head = try #require(parseHead("GET http://example.com:8080/a/b?q=1 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n"))
        #expect(head.form == .absolute)
        #expect(head.path == "/a/b")
        #expect(head.query == "q=1")
        #expect(head.pathRange == 27..<31)
    }

    @Test func absoluteFormWithoutPathHasEmptyPathAtTheEndOfTheAuthority() throws {
        let bare = try #require(parseHead("GET https://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n"))
        #expect(bare.form == .absolute)
        #expect(bare.pathRange == 23..<23)
        #expect(bare.query == nil)
        let withQuery = try #require(parseHead("GET http://h?x HTTP/1.1\r\nHost: h\r\n\r\n"))
        #expect(withQuery.pathRange == 12..<12)
        #expect(withQuery.query == "x")
    }

    @Test func authorityFormForConnect() throws {
        let head = try #require(parseHead("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"))
        #expect(head.form == .authority)
        #expect(head.target == "example.com:443")
        #expect(head.pathRange == 23..<23)
        #expect(head.query == nil)
        let ipv6 = try #require(parseHead("CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n"))
        #expect(ipv6.form == .authority)
    }

    @Test func emptyLinesBeforeTheRequestLineAreIgnoredAndCounted() throws {
        let text = "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"
        let records = splitIndependentTranscript(latin1(text))
        let head = try #require(records.first?.head)
        #expect(head.length == text.utf8.count)
        #expect(head.methodRange == 4..<7)
    }

    @Test func pipelinedRequestsBackToBack() throws {
        let first = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
        let second = "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
        let third = "POST /3 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
        let fourth = "GET /4 HTTP/1.0\r\n\r\n"
        let records = splitIndependentTranscript(latin1(first + second + third + fourth))
        let heads = records.compactMap(\.head)
        #expect(heads.map(\.target) == ["/1", "/2", "/3", "/4"])
        #expect(heads.map(\.start) == [0, first.utf8.count, (first + second).utf8.count, (first + second + third).utf8.count])
        let secondBody = (first + second).utf8.count - 5
        let thirdBody = (first + second + third).utf8.count - "abc\r\n0\r\n\r\n".utf8.count
        #expect(records.count == 11)
        #expect(records[1] == .end)
        #expect(records[3] == .body(latin1("hello"), ranges: [secondBody..<(secondBody + 5)]))
        #expect(records[4] == .end)
        #expect(records[6] == .body(latin1("abc"), ranges: [thirdBody..<(thirdBody + 3)]))
        #expect(records[7] == .end)
        #expect(records[9] == .end)
        #expect(records[10] == .finish(nil))
    }

    @Test func fieldTableStorageIsReusedAcrossRequests() {
        let request = latin1("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n")
        var parser = RequestParser()
        var storage: [UnsafeRawPointer?] = []
        for _ in 0..<3 {
            let (event, consumed) = request.withUnsafeBytes { parser.parse($0) }
            #expect(event == .head)
            #expect(consumed == request.count)
            #expect(parser.head.fields.count == 4)
            storage.append(UnsafeRawPointer(parser.head.fields.baseAddress))
            let end = [UInt8]().withUnsafeBytes { parser.parse($0) }
            #expect(end.event == .end)
        }
        #expect(storage[0] != nil)
        #expect(Set(storage).count == 1)
    }
}
