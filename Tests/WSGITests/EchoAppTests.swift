import DemoApps
import Testing
import WSGI

/// The echo app's JSON, byte for byte against the Python reference: each `expected` below is what
/// `/work/shared/echo_app.py`'s `app` (CPython 3.11) returned for the same environ and body.
@Suite struct EchoAppTests {
    struct EchoCase: Sendable, CustomTestStringConvertible {
        let testDescription: String
        /// The string entries that differ from ``EchoAppTests/baseStrings``.
        let strings: [String: String]
        let body: [UInt8]
        let terminated: Bool
        let expected: String

        init(_ description: String, _ strings: [String: String], body: [UInt8], terminated: Bool, expected: String) {
            testDescription = description
            self.strings = strings
            self.body = body
            self.terminated = terminated
            self.expected = expected
        }

        /// The environ both apps were given: the strings, the body as `wsgi.input`, and the
        /// non-string entries (which the echo leaves out).
        var environ: Environ {
            var environ = Environ()
            for (key, value) in baseStrings.merging(strings, uniquingKeysWith: { $1 }) { environ[key] = value }
            environ.input = BytesInput(Bytes(body))
            environ.errors = StandardErrorOutput.shared
            environ.version = (1, 0)
            environ.multithread = false
            environ.multiprocess = false
            environ.runOnce = false
            environ[value: "swsgi.extra"] = .int(7)
            if terminated { environ.inputTerminated = true }
            return environ
        }
    }

    static let baseStrings: [String: String] = [
        "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": "/", "QUERY_STRING": "",
        "SERVER_NAME": "localhost", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost:8080", "wsgi.url_scheme": "http",
    ]

    static let cases: [EchoCase] = [
        EchoCase(
            "a plain GET",
            ["PATH_INFO": "/some/path", "QUERY_STRING": "a=1&b=%20", "HTTP_USER_AGENT": "curl/8.5.0", "HTTP_ACCEPT": "*/*", "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "54321", "SERVER_SOFTWARE": "swift-wsgi", "GATEWAY_INTERFACE": "CGI/1.1", "RAW_URI": "/?a=1"],
            body: [], terminated: false,
            expected: #"{"body": "", "body_size": 0, "environ": {"GATEWAY_INTERFACE": "CGI/1.1", "HTTP_ACCEPT": "*/*", "HTTP_HOST": "localhost:8080", "HTTP_USER_AGENT": "curl/8.5.0", "PATH_INFO": "/some/path", "QUERY_STRING": "a=1&b=%20", "RAW_URI": "/?a=1", "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "54321", "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "SERVER_NAME": "localhost", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1", "SERVER_SOFTWARE": "swift-wsgi", "wsgi.url_scheme": "http"}}"#
        ),
        EchoCase(
            "a POST with Content-Length",
            ["REQUEST_METHOD": "POST", "CONTENT_LENGTH": "11", "CONTENT_TYPE": "text/plain"],
            body: Array("hello world".utf8), terminated: false,
            expected: #"{"body": "hello world", "body_size": 11, "environ": {"CONTENT_LENGTH": "11", "CONTENT_TYPE": "text/plain", "HTTP_HOST": "localhost:8080", "PATH_INFO": "/", "QUERY_STRING": "", "REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "SERVER_NAME": "localhost", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http"}}"#
        ),
        EchoCase(
            "strings that need escaping",
            ["HTTP_X_QUOTES": "say \"hi\" \\o/", "HTTP_X_CONTROL": "\u{0}\u{1}\u{8}\u{C}\u{9}\u{A}\u{D}\u{1F}\u{7F}", "HTTP_X_LATIN": "\u{80}\u{A0}caf\u{E9} \u{FF}", "Z": "last?", "a.b": "dotted", "_": "underscore", "x\u{E9}": "latin key", "~": "tilde"],
            body: [], terminated: false,
            expected: #"{"body": "", "body_size": 0, "environ": {"HTTP_HOST": "localhost:8080", "HTTP_X_CONTROL": "\u0000\u0001\b\f\t\n\r\u001f\u007f", "HTTP_X_LATIN": "\u0080\u00a0caf\u00e9 \u00ff", "HTTP_X_QUOTES": "say \"hi\" \\o/", "PATH_INFO": "/", "QUERY_STRING": "", "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "SERVER_NAME": "localhost", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1", "Z": "last?", "_": "underscore", "a.b": "dotted", "wsgi.url_scheme": "http", "x\u00e9": "latin key", "~": "tilde"}}"#
        ),
        EchoCase(
            "a UTF-8 body with invalid sequences",
            ["REQUEST_METHOD": "PUT", "CONTENT_LENGTH": "35"],
            body: [0x68, 0xC3, 0xA9, 0x6C, 0x6C, 0x6F, 0x20, 0xF0, 0x9F, 0x98, 0x80, 0x20, 0xE2, 0x80, 0xA8, 0xFF, 0x7C, 0xE2, 0x82, 0x7C, 0xF0, 0x80, 0x80, 0x7C, 0xED, 0xA0, 0x80, 0x7C, 0xC0, 0xAF, 0x7C, 0xF4, 0x90, 0x80, 0x80], terminated: false,
            expected: #"{"body": "h\u00e9llo \ud83d\ude00 \u2028\ufffd|\ufffd|\ufffd\ufffd\ufffd|\ufffd\ufffd\ufffd|\ufffd\ufffd|\ufffd\ufffd\ufffd\ufffd", "body_size": 35, "environ": {"CONTENT_LENGTH": "35", "HTTP_HOST": "localhost:8080", "PATH_INFO": "/", "QUERY_STRING": "", "REQUEST_METHOD": "PUT", "SCRIPT_NAME": "", "SERVER_NAME": "localhost", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http"}}"#
        ),
        EchoCase(
            "a chunked body",
            ["REQUEST_METHOD": "POST", "HTTP_TRANSFER_ENCODING": "gzip, Chunked"],
            body: [0x61, 0x62, 0x63, 0x0D, 0x0A], terminated: false,
            expected: #"{"body": "abc\r\n", "body_size": 5, "environ": {"HTTP_HOST": "localhost:8080", "HTTP_TRANSFER_ENCODING": "gzip, Chunked", "PATH_INFO": "/", "QUERY_STRING": "", "REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "SERVER_NAME": "localhost", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http"}}"#
        ),
        EchoCase(
            "a terminated input",
            ["REQUEST_METHOD": "POST"],
            body: Array("xyz".utf8), terminated: true,
            expected: #"{"body": "xyz", "body_size": 3, "environ": {"HTTP_HOST": "localhost:8080", "PATH_INFO": "/", "QUERY_STRING": "", "REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "SERVER_NAME": "localhost", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http"}}"#
        ),
        EchoCase(
            "Content-Length shorter than the input",
            ["REQUEST_METHOD": "POST", "CONTENT_LENGTH": "3"],
            body: Array("abcdef".utf8), terminated: false,
            expected: #"{"body": "abc", "body_size": 3, "environ": {"CONTENT_LENGTH": "3", "HTTP_HOST": "localhost:8080", "PATH_INFO": "/", "QUERY_STRING": "", "REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "SERVER_NAME": "localhost", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http"}}"#
        ),
        EchoCase(
            "Content-Length with whitespace",
            ["REQUEST_METHOD": "POST", "CONTENT_LENGTH": " 5\u{9}"],
            body: Array("12345678".utf8), terminated: false,
            expected: #"{"body": "12345", "body_size": 5, "environ": {"CONTENT_LENGTH": " 5\t", "HTTP_HOST": "localhost:8080", "PATH_INFO": "/", "QUERY_STRING": "", "REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "SERVER_NAME": "localhost", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http"}}"#
        ),
        EchoCase(
            "Content-Length not a number",
            ["REQUEST_METHOD": "POST", "CONTENT_LENGTH": "5x"],
            body: Array("12345678".utf8), terminated: false,
            expected: #"{"body": "", "body_size": 0, "environ": {"CONTENT_LENGTH": "5x", "HTTP_HOST": "localhost:8080", "PATH_INFO": "/", "QUERY_STRING": "", "REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "SERVER_NAME": "localhost", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http"}}"#
        ),
        EchoCase(
            "a body without length or termination",
            ["REQUEST_METHOD": "POST"],
            body: Array("ignored".utf8), terminated: false,
            expected: #"{"body": "", "body_size": 0, "environ": {"HTTP_HOST": "localhost:8080", "PATH_INFO": "/", "QUERY_STRING": "", "REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "SERVER_NAME": "localhost", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http"}}"#
        ),
        EchoCase(
            "a body too large to echo",
            ["REQUEST_METHOD": "POST", "CONTENT_LENGTH": "70000"],
            body: [UInt8](repeating: 0x61, count: 70000), terminated: false,
            expected: #"{"body_size": 70000, "environ": {"CONTENT_LENGTH": "70000", "HTTP_HOST": "localhost:8080", "PATH_INFO": "/", "QUERY_STRING": "", "REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "SERVER_NAME": "localhost", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http"}}"#
        ),
        EchoCase(
            "a body one byte over the echo limit",
            ["REQUEST_METHOD": "POST"],
            body: [UInt8](repeating: 0x62, count: 65537), terminated: true,
            expected: #"{"body_size": 65537, "environ": {"HTTP_HOST": "localhost:8080", "PATH_INFO": "/", "QUERY_STRING": "", "REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "SERVER_NAME": "localhost", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http"}}"#
        ),
    ]

    @Test(arguments: cases)
    func jsonMatchesTheReference(_ echo: EchoCase) throws {
        let response = try collect(EchoApp().application, echo.environ)
        #expect(response.status == "200 OK")
        #expect(response.headers.map(\.0) == ["Content-Type", "Content-Length"])
        #expect(response.header("Content-Type") == "application/json")
        #expect(response.header("Content-Length") == String(echo.expected.utf8.count))
        #expect(response.chunks.count == 1)
        #expect(response.bodyText == echo.expected)
    }

    /// A body of exactly the echo limit is still echoed (65536 bytes of `c`; the reference's output
    /// around it is pasted as prefix and suffix).
    @Test func aBodyAtTheEchoLimitIsEchoed() throws {
        let echo = EchoCase("", ["REQUEST_METHOD": "POST"], body: [UInt8](repeating: 0x63, count: 65536), terminated: true, expected: "")
        let expected = #"{"body": ""# + String(repeating: "c", count: 65536)
            + #"", "body_size": 65536, "environ": {"HTTP_HOST": "localhost:8080", "PATH_INFO": "/", "QUERY_STRING": "", "REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "SERVER_NAME": "localhost", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http"}}"#
        #expect(try collect(EchoApp().application, echo.environ).bodyText == expected)
    }

    /// Some environs above are deliberately invalid (a padded CONTENT_LENGTH): only the
    /// application's side is judged here.
    @Test(arguments: cases)
    func theEchoKeepsTheApplicationSideOfTheContract(_ echo: EchoCase) {
        let run = ValidatedRun(EchoApp().application, echo.environ)
        #expect(run.checks.filter { $0.side == .application } == [])
        #expect(run.thrown == nil)
    }
}
