import HTTP1Parser
import Testing

@Suite("Request line")
struct RequestLineTests {
    /// Each request line, followed by `Host: a` and the empty line, is refused with this error.
    @Test(arguments: [
        // Structure: one SP between exactly three parts.
        ("GET  / HTTP/1.1", ParseError.invalidRequestLine),
        (" GET / HTTP/1.1", .invalidRequestLine),
        ("GET /", .invalidRequestLine),
        ("GET / ", .invalidVersion),
        ("GET", .invalidRequestLine),
        ("GET / HTTP/1.1 ", .invalidVersion),
        ("GET /  HTTP/1.1", .invalidVersion),
        ("GET\t/ HTTP/1.1", .invalidMethod),
        ("GET /\tHTTP/1.1", .invalidTarget),
        // Method: a token.
        ("G@T / HTTP/1.1", .invalidMethod),
        ("GET\u{0} / HTTP/1.1", .invalidMethod),
        ("G\u{C4}T / HTTP/1.1", .invalidMethod),
        // Target bytes: visible ASCII except "#".
        ("GET /\u{7F} HTTP/1.1", .invalidTarget),
        ("GET /\u{E4} HTTP/1.1", .invalidTarget),
        ("GET /a\u{0}b HTTP/1.1", .invalidTarget),
        ("GET /page#fragment HTTP/1.1", .invalidTarget),
        ("GET /\u{0B} HTTP/1.1", .invalidTarget),
        // Target forms.
        ("GET relative/path HTTP/1.1", .invalidTarget),
        ("GET http:/path HTTP/1.1", .invalidTarget),
        ("GET http:///path HTTP/1.1", .invalidTarget),
        ("GET http://user@host/ HTTP/1.1", .invalidTarget),
        ("GET 1http://host/ HTTP/1.1", .invalidTarget),
        ("GET example.com:80 HTTP/1.1", .targetFormNotAllowed),
        ("GET * HTTP/1.1", .targetFormNotAllowed),
        ("CONNECT * HTTP/1.1", .targetFormNotAllowed),
        ("CONNECT / HTTP/1.1", .targetFormNotAllowed),
        ("CONNECT http://a.example:443/ HTTP/1.1", .targetFormNotAllowed),
        ("CONNECT a.example HTTP/1.1", .invalidTarget),
        ("CONNECT a.example: HTTP/1.1", .invalidTarget),
        ("CONNECT :443 HTTP/1.1", .invalidTarget),
        ("CONNECT a:b:443 HTTP/1.1", .invalidTarget),
        ("CONNECT [::1:443 HTTP/1.1", .invalidTarget),
        ("connect a.example:443 HTTP/1.1", .targetFormNotAllowed),
        ("options * HTTP/1.1", .targetFormNotAllowed),
        // Version: HTTP/DIGIT.DIGIT, case-sensitive; only 1.0 and 1.1 supported.
        ("GET / HTTP/2.0", .unsupportedVersion),
        ("GET / HTTP/1.2", .unsupportedVersion),
        ("GET / HTTP/0.9", .unsupportedVersion),
        ("GET / HTTP/3.1", .unsupportedVersion),
        ("GET / HTTP/1.10", .invalidVersion),
        ("GET / HTTP/11.1", .invalidVersion),
        ("GET / HTTP/1", .invalidVersion),
        ("GET / HTTP/1.", .invalidVersion),
        ("GET / http/1.1", .invalidVersion),
        ("GET / HTTPS/1.1", .invalidVersion),
        ("GET / HTTP/1.1.1", .invalidVersion),
        ("GET / HTTP/1,1", .invalidVersion),
        ("GET / HTTP/1.1\u{0}", .invalidVersion),
        ("GET / HTTP/100000000000000000000000000001.1", .invalidVersion),
        // A CR is reported as a bare CR wherever it is.
        ("GE\rT / HTTP/1.1", .bareCR),
        ("GET /a\rb HTTP/1.1", .bareCR),
        ("GET / HTTP/1.1\r", .bareCR),
        ("GET / HTTP/1\r.1", .bareCR),
        ("\rGET / HTTP/1.1", .bareCR),
    ])
    func refused(_ requestLine: String, _ error: ParseError) {
        expectRefused("\(requestLine)\r\nHost: a\r\n\r\n", error)
    }

    @Test func bareLFEndsNoLine() {
        expectRefused("GET / HTTP/1.1\nHost: a\r\n\r\n", .bareLF)
        expectRefused("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", .bareLF)
    }

    @Test(arguments: [
        ("/", TargetForm.origin, "/", nil as String?),
        ("/a/b/c?", .origin, "/a/b/c", ""),
        ("/?a?b", .origin, "/", "a?b"),
        ("/%7Euser/;p=1?x=\"{|}\"^`\\", .origin, "/%7Euser/;p=1", "x=\"{|}\"^`\\"),
        ("//double", .origin, "//double", nil),
        ("http://a", .absolute, "", nil),
        ("http://a:80/", .absolute, "/", nil),
        ("HTTPS://a.example/x?y", .absolute, "/x", "y"),
        ("coap+tcp://[::1]:5683/r", .absolute, "/r", nil),
    ])
    func targetParts(_ target: String, _ form: TargetForm, _ path: String, _ query: String?) throws {
        let head = try #require(parseHead("GET \(target) HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(head.form == form)
        #expect(head.path == path)
        #expect(head.query == query)
        #expect(head.target == target)
    }
}
