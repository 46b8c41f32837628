import Testing
import WSGI

@Suite struct ResponseRulesTests {
    @Test(arguments: [("200 OK", 200), ("404 Not Found", 404), ("599 Whatever", 599), ("100 ", 100), ("203 Caf\u{E9}\t!", 203)])
    func validStatusLines(status: String, code: Int) throws {
        #expect(try ResponseRules.statusCode(of: status) == code)
    }

    @Test(arguments: ["20 OK", "200OK", "200", "", "2000 OK", "099 Low", "abc OK", "200 OK\n", "200 OK\r\nX: y", "200 \u{7F}"])
    func invalidStatusLines(status: String) {
        #expect(throws: WSGIError.invalidStatus(status)) { try ResponseRules.statusCode(of: status) }
    }

    @Test func statusAboveLatin1() {
        #expect(throws: WSGIError.notLatin1("200 \u{20AC}")) { try ResponseRules.statusCode(of: "200 \u{20AC}") }
    }

    @Test func validHeaders() throws {
        try ResponseRules.check(headerName: "Content-Type", value: "text/plain; charset=utf-8")
        try ResponseRules.check(headerName: "X-Tab", value: "a\tb")
        try ResponseRules.check(headerName: "X-Latin", value: "caf\u{E9}")
        try ResponseRules.check(headerName: "X-Empty", value: "")
        try ResponseRules.check(headerName: "!#$%&'*+-.^_`|~09azAZ", value: "v")
    }

    @Test(arguments: ["", "Bad Name", "Colon:", "Caf\u{E9}", "(x)", "X\r\n"])
    func invalidHeaderNames(name: String) {
        #expect(throws: WSGIError.invalidHeaderName(name)) { try ResponseRules.check(headerName: name, value: "v") }
    }

    @Test(arguments: ["v\r\nSet-Cookie: x", "line\n", "nul\0", "del\u{7F}", "\u{1B}[31m"])
    func controlCharactersInValues(value: String) {
        #expect(throws: WSGIError.invalidHeaderValue(name: "X-A")) { try ResponseRules.check(headerName: "X-A", value: value) }
    }

    @Test func valueAboveLatin1() {
        #expect(throws: WSGIError.notLatin1("\u{20AC}5")) { try ResponseRules.check(headerName: "X-Price", value: "\u{20AC}5") }
    }

    @Test(arguments: ["Connection", "keep-alive", "TE", "Trailer", "Trailers", "TRANSFER-ENCODING", "Upgrade",
                      "Proxy-Authenticate", "proxy-authorization"])
    func hopByHopHeadersAreRefused(name: String) {
        #expect(ResponseRules.isHopByHop(name))
        #expect(throws: WSGIError.hopByHopHeader(name)) { try ResponseRules.check(headerName: name, value: "x") }
    }

    @Test(arguments: ["Content-Length", "Tea", "Connections", "Date", "Proxy"])
    func endToEndHeadersAreNotHopByHop(name: String) {
        #expect(!ResponseRules.isHopByHop(name))
    }

    @Test func statusHeaderIsRefused() {
        #expect(throws: WSGIError.statusHeader) { try ResponseRules.check(headerName: "status", value: "200 OK") }
    }

    @Test func caseInsensitiveComparisonIsASCIIOnly() {
        #expect(ResponseRules.equalsIgnoringCase("Content-LENGTH", "content-length"))
        #expect(!ResponseRules.equalsIgnoringCase("Content-Lengt", "content-length"))
        #expect(!ResponseRules.equalsIgnoringCase("content_length", "content-length"))
        // Only letters fold: CR is not "-", "@" is not "`".
        #expect(!ResponseRules.equalsIgnoringCase("content\rlength", "content-length"))
        #expect(!ResponseRules.equalsIgnoringCase("@", "`"))
    }
}
