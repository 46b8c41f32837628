import HTTP1Parser
import Testing

@Suite("Header field lines")
struct FieldLineTests {
    /// Each field line, after `GET / HTTP/1.1` and `Host: a`, is refused with this error.
    @Test(arguments: [
        ("Content-Length : 4", ParseError.whitespaceBeforeColon),
        ("X-A\t: 1", .whitespaceBeforeColon),
        ("X-A  \t : 1", .whitespaceBeforeColon),
        ("Foo Bar: 1", .invalidFieldName),
        (": 1", .invalidFieldName),
        ("X-\u{0}: 1", .invalidFieldName),
        ("X@Y: 1", .invalidFieldName),
        ("X(Y): 1", .invalidFieldName),
        ("Content-Length\u{DF}: 3", .invalidFieldName),
        ("\"X\": 1", .invalidFieldName),
        ("X-No-Colon", .missingColon),
        ("X-No-Colon ", .invalidFieldName),
        ("X: a\u{7}b", .invalidFieldValue),
        ("X: a\u{0}b", .invalidFieldValue),
        ("X: a\u{7F}", .invalidFieldValue),
        ("X: \u{0B}chunked", .invalidFieldValue),
        ("X: chunked\u{0C}", .invalidFieldValue),
        ("X: a\u{1B}[31m", .invalidFieldValue),
        ("X: a\rb", .bareCR),
        ("X\r: b", .bareCR),
        ("Content\rLength: 3", .bareCR),
        ("X: a\r", .bareCR),
        ("\r", .bareCR),
        (" X: folded", .obsFold),
        ("\tX: folded", .obsFold),
    ])
    func refused(_ line: String, _ error: ParseError) {
        expectRefused("GET / HTTP/1.1\r\nHost: a\r\n\(line)\r\n\r\n", error)
    }

    @Test func whitespaceRightAfterTheRequestLine() {
        expectRefused("GET / HTTP/1.1\r\n Host: a\r\n\r\n", .whitespaceAfterRequestLine)
        expectRefused("GET / HTTP/1.1\r\n\t\r\nHost: a\r\n\r\n", .whitespaceAfterRequestLine)
    }

    @Test func obsFoldIsNeverJoined() {
        expectRefused("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", .obsFold)
        expectRefused("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\t\r\n\r\n", .obsFold)
    }

    @Test func bareLFInsideAValueEndsNoLine() {
        expectRefused("GET / HTTP/1.1\r\nHost: a\r\nX: a\nY: b\r\n\r\n", .bareLF)
        expectRefused("GET / HTTP/1.1\r\nHost: a\n\r\n", .bareLF)
        expectRefused("GET / HTTP/1.1\r\nHost: a\r\n\n", .bareLF)
    }

    @Test func emptyLineMustBeCRLF() {
        expectRefused("GET / HTTP/1.1\r\nHost: a\r\n\rX\r\n\r\n", .bareCR)
        expectRefused("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n", .bareCR)
    }

    @Test func valuesAreTrimmedOfSpaceAndTabOnly() throws {
        let head = try #require(parseHead("GET / HTTP/1.1\r\nHost: a\r\nX:\t \t v \u{85}\u{A0} \t\r\n\r\n"))
        #expect(head.fieldLines.last == "X: v \u{85}\u{A0}")
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\n\r\n", ParseError.missingHost),
        ("GET / HTTP/1.1\r\nHost-Name: a\r\n\r\n", .missingHost),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", .duplicateHost),
        ("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", .duplicateHost),
        ("GET / HTTP/1.0\r\nHost: a\r\nHOST: b\r\n\r\n", .duplicateHost),
        ("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", .invalidHost),
        ("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", .invalidHost),
        ("GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", .invalidHost),
        ("GET / HTTP/1.1\r\nHost: a?b\r\n\r\n", .invalidHost),
        ("GET / HTTP/1.1\r\nHost: a#b\r\n\r\n", .invalidHost),
        ("GET / HTTP/1.1\r\nHost: \u{E4}.example\r\n\r\n", .invalidHost),
        ("GET / HTTP/1.1\r\nHost: a\"b\r\n\r\n", .invalidHost),
    ])
    func hostRules(_ text: String, _ error: ParseError) {
        expectRefused(text, error)
    }

    @Test func hostValues() throws {
        for host in ["a", "a.example:8080", "[::1]:80", "xn--bcher-kva.example", "127.0.0.1", "a_b~c!$&'()*+,;=%41"] {
            let head = try #require(parseHead("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n"))
            #expect(head.fieldLines == ["Host: \(host)"])
        }
    }
}
