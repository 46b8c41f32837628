import Testing
import WSGI

/// `requestURI`, `applicationURI` and `guessScheme` against CPython 3.11's `wsgiref.util`
/// (expected strings computed with `util.application_uri(e)`, `util.request_uri(e)` and
/// `util.request_uri(e, include_query=False)` for the same environ).
@Suite struct URLTests {
    struct URLCase: Sendable, CustomTestStringConvertible {
        let entries: [String: String]
        let application: String
        let request: String
        let withoutQuery: String

        init(_ entries: [String: String], application: String, request: String, withoutQuery: String) {
            self.entries = entries
            self.application = application
            self.request = request
            self.withoutQuery = withoutQuery
        }

        var environ: Environ {
            var environ = Environ()
            for (key, value) in entries { environ[key] = value }
            return environ
        }

        var testDescription: String { request }
    }

    static let cases: [URLCase] = [
        URLCase(["wsgi.url_scheme": "http", "SERVER_NAME": "localhost", "SERVER_PORT": "8080", "HTTP_HOST": "example.com", "PATH_INFO": "/a b/c;d=e,f", "QUERY_STRING": "x=1&y=%20"],
                application: "http://example.com/",
                request: "http://example.com/a%20b/c;d=e,f?x=1&y=%20",
                withoutQuery: "http://example.com/a%20b/c;d=e,f"),
        URLCase(["wsgi.url_scheme": "http", "SERVER_NAME": "localhost", "SERVER_PORT": "80", "PATH_INFO": "/"],
                application: "http://localhost/",
                request: "http://localhost/",
                withoutQuery: "http://localhost/"),
        URLCase(["wsgi.url_scheme": "http", "SERVER_NAME": "localhost", "SERVER_PORT": "8080", "PATH_INFO": "/x"],
                application: "http://localhost:8080/",
                request: "http://localhost:8080/x",
                withoutQuery: "http://localhost:8080/x"),
        URLCase(["wsgi.url_scheme": "https", "SERVER_NAME": "secure.example", "SERVER_PORT": "443", "SCRIPT_NAME": "/app", "PATH_INFO": "/x y"],
                application: "https://secure.example/app",
                request: "https://secure.example/app/x%20y",
                withoutQuery: "https://secure.example/app/x%20y"),
        URLCase(["wsgi.url_scheme": "https", "SERVER_NAME": "secure.example", "SERVER_PORT": "80", "SCRIPT_NAME": "/app", "PATH_INFO": ""],
                application: "https://secure.example:80/app",
                request: "https://secure.example:80/app",
                withoutQuery: "https://secure.example:80/app"),
        URLCase(["wsgi.url_scheme": "http", "SERVER_NAME": "localhost", "SERVER_PORT": "8080", "SCRIPT_NAME": "/my app;v=1,2", "PATH_INFO": "/caf\u{E9}"],
                application: "http://localhost:8080/my%20app%3Bv%3D1%2C2",
                request: "http://localhost:8080/my%20app%3Bv%3D1%2C2/caf%E9",
                withoutQuery: "http://localhost:8080/my%20app%3Bv%3D1%2C2/caf%E9"),
        URLCase(["wsgi.url_scheme": "http", "SERVER_NAME": "localhost", "SERVER_PORT": "8080", "PATH_INFO": "/~!@$&'()*+:?#[]%\"<>\\^`{|}\u{0}\u{7F}\u{FF}"],
                application: "http://localhost:8080/",
                request: "http://localhost:8080/~%21%40%24%26%27%28%29%2A%2B%3A%3F%23%5B%5D%25%22%3C%3E%5C%5E%60%7B%7C%7D%00%7F%FF",
                withoutQuery: "http://localhost:8080/~%21%40%24%26%27%28%29%2A%2B%3A%3F%23%5B%5D%25%22%3C%3E%5C%5E%60%7B%7C%7D%00%7F%FF"),
        URLCase(["wsgi.url_scheme": "http", "SERVER_NAME": "localhost", "SERVER_PORT": "8080"],
                application: "http://localhost:8080/",
                request: "http://localhost:8080/",
                withoutQuery: "http://localhost:8080/"),
        // An invalid PATH_INFO without "/": wsgiref drops its first character.
        URLCase(["wsgi.url_scheme": "http", "SERVER_NAME": "localhost", "SERVER_PORT": "8080", "SCRIPT_NAME": "", "PATH_INFO": "x"],
                application: "http://localhost:8080/",
                request: "http://localhost:8080/",
                withoutQuery: "http://localhost:8080/"),
        URLCase(["wsgi.url_scheme": "http", "SERVER_NAME": "h", "SERVER_PORT": "81", "HTTP_HOST": "", "SCRIPT_NAME": "/s", "PATH_INFO": "/p", "QUERY_STRING": "q"],
                application: "http://h:81/s",
                request: "http://h:81/s/p?q",
                withoutQuery: "http://h:81/s/p"),
    ]

    @Test(arguments: cases)
    func applicationURI(_ url: URLCase) {
        #expect(url.environ.applicationURI() == url.application)
    }

    @Test(arguments: cases)
    func requestURI(_ url: URLCase) {
        #expect(url.environ.requestURI() == url.request)
        #expect(url.environ.requestURI(includeQuery: false) == url.withoutQuery)
    }

    @Test(arguments: [("on", "https"), ("yes", "https"), ("1", "https"), ("ON", "http"), ("off", "http"), ("true", "http"), ("", "http")])
    func guessScheme(https: String, scheme: String) {
        #expect(Environ(["HTTPS": .string(https)]).guessScheme() == scheme)
    }

    @Test func guessSchemeWithoutHTTPS() {
        #expect(Environ().guessScheme() == "http")
    }
}
