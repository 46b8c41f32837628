import Testing
import WSGI

/// The server side of the contract: the environ (PEP 3333 S7-S19, wsgiref.validate's check_environ).
@Suite struct ValidatorEnvironTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let testDescription: String
        /// The one rule the change breaks; `nil` for a change that keeps the environ valid.
        let expected: Violation.Check?
        let change: @Sendable (inout Environ) -> Void

        init(_ description: String, _ expected: Violation.Check?, _ change: @escaping @Sendable (inout Environ) -> Void) {
            testDescription = description
            self.expected = expected
            self.change = change
        }
    }

    static let invalid: [Case] = [
        Case("REQUEST_METHOD missing", .requiredKey) { $0["REQUEST_METHOD"] = nil },
        Case("SCRIPT_NAME missing", .requiredKey) { $0["SCRIPT_NAME"] = nil },
        Case("PATH_INFO missing", .requiredKey) { $0["PATH_INFO"] = nil },
        Case("QUERY_STRING missing", .requiredKey) { $0["QUERY_STRING"] = nil },
        Case("SERVER_NAME missing", .requiredKey) { $0["SERVER_NAME"] = nil },
        Case("SERVER_PORT missing", .requiredKey) { $0["SERVER_PORT"] = nil },
        Case("SERVER_PROTOCOL missing", .requiredKey) { $0["SERVER_PROTOCOL"] = nil },
        Case("wsgi.version missing", .requiredKey) { $0[value: "wsgi.version"] = nil },
        Case("wsgi.url_scheme missing", .requiredKey) { $0[value: "wsgi.url_scheme"] = nil },
        Case("wsgi.input missing", .requiredKey) { $0[value: "wsgi.input"] = nil },
        Case("wsgi.errors missing", .requiredKey) { $0[value: "wsgi.errors"] = nil },
        Case("wsgi.multithread missing", .requiredKey) { $0[value: "wsgi.multithread"] = nil },
        Case("wsgi.multiprocess missing", .requiredKey) { $0[value: "wsgi.multiprocess"] = nil },
        Case("wsgi.run_once missing", .requiredKey) { $0[value: "wsgi.run_once"] = nil },
        Case("CGI variable as an integer", .nativeString) { $0[value: "SERVER_PORT"] = .int(8080) },
        Case("CGI variable as a boolean", .nativeString) { $0[value: "HTTPS"] = .bool(true) },
        Case("CGI variable above U+00FF", .nativeString) { $0["HTTP_X_PRICE"] = "\u{20AC}5" },
        Case("REQUEST_METHOD empty", .requestMethod) { $0["REQUEST_METHOD"] = "" },
        Case("SCRIPT_NAME is /", .scriptName) { $0["SCRIPT_NAME"] = "/" },
        Case("SCRIPT_NAME relative", .scriptName) { $0["SCRIPT_NAME"] = "app" },
        Case("PATH_INFO relative", .pathInfo) { $0["PATH_INFO"] = "index.html" },
        Case("SERVER_NAME empty", .serverName) { $0["SERVER_NAME"] = "" },
        Case("SERVER_PORT empty", .serverPort) { $0["SERVER_PORT"] = "" },
        Case("SERVER_PROTOCOL without version", .serverProtocol) { $0["SERVER_PROTOCOL"] = "HTTP/" },
        Case("SERVER_PROTOCOL not HTTP", .serverProtocol) { $0["SERVER_PROTOCOL"] = "SPDY/3" },
        Case("CONTENT_LENGTH not a number", .contentLength) { $0["CONTENT_LENGTH"] = "12a" },
        Case("CONTENT_LENGTH signed", .contentLength) { $0["CONTENT_LENGTH"] = "+5" },
        Case("HTTP_CONTENT_TYPE", .contentHeaderPrefix) { $0["HTTP_CONTENT_TYPE"] = "text/plain" },
        Case("HTTP_CONTENT_LENGTH", .contentHeaderPrefix) { $0["HTTP_CONTENT_LENGTH"] = "0" },
        Case("wsgi.version (1, 1)", .wsgiVersion) { $0[value: "wsgi.version"] = .version(major: 1, minor: 1) },
        Case("wsgi.version as a string", .wsgiVersion) { $0[value: "wsgi.version"] = "1.0" },
        Case("wsgi.url_scheme ftp", .urlScheme) { $0["wsgi.url_scheme"] = "ftp" },
        Case("wsgi.url_scheme upper case", .urlScheme) { $0["wsgi.url_scheme"] = "HTTPS" },
        Case("wsgi.url_scheme not a string", .urlScheme) { $0[value: "wsgi.url_scheme"] = .bool(true) },
        Case("wsgi.input as bytes", .wsgiStream) { $0[value: "wsgi.input"] = "body" },
        Case("wsgi.errors as an input", .wsgiStream) { $0[value: "wsgi.errors"] = .input(BytesInput("")) },
        Case("wsgi.multithread as a string", .wsgiFlag) { $0[value: "wsgi.multithread"] = "true" },
        Case("wsgi.run_once as an integer", .wsgiFlag) { $0[value: "wsgi.run_once"] = .int(0) },
    ]

    @Test(arguments: invalid)
    func eachBrokenRuleIsReportedAlone(_ broken: Case) {
        var environ = makeEnviron()
        broken.change(&environ)
        let found = Validator.violations(in: environ)
        #expect(found.map(\.check) == [broken.expected!], "\(found)")
        #expect(found.allSatisfy { $0.side == .server })
    }

    static let valid: [Case] = [
        Case("the baseline", nil) { _ in },
        Case("mounted under a prefix", nil) { $0["SCRIPT_NAME"] = "/app"; $0["PATH_INFO"] = "" },
        Case("https", nil) { $0.urlScheme = "https"; $0["HTTPS"] = "on" },
        Case("empty CONTENT_LENGTH", nil) { $0["CONTENT_LENGTH"] = "" },
        Case("a body with its length", nil) { $0["CONTENT_LENGTH"] = "0"; $0["CONTENT_TYPE"] = "text/plain" },
        Case("latin-1 values", nil) { $0["HTTP_X_NAME"] = "caf\u{E9} \u{FF}"; $0["PATH_INFO"] = "/\u{C3}\u{A9}" },
        Case("extension keys of any kind", nil) {
            $0[value: "swsgi.extra"] = .int(1)
            $0[value: "wsgi.input_terminated"] = true
            $0.fileWrapper = FileWrapperFactory()
        },
        Case("HTTP/1.0", nil) { $0["SERVER_PROTOCOL"] = "HTTP/1.0" },
    ]

    @Test(arguments: valid)
    func aValidEnvironHasNoViolations(_ variant: Case) {
        var environ = makeEnviron()
        variant.change(&environ)
        #expect(Validator.violations(in: environ) == [])
    }

    @Test func violationsAreReportedInAStableOrder() {
        var environ = makeEnviron()
        environ["REQUEST_METHOD"] = nil
        environ[value: "B_INT"] = .int(1)
        environ[value: "A_INT"] = .int(2)
        #expect(Validator.violations(in: environ).map(\.message) == [
            "REQUEST_METHOD is missing", "CGI variable A_INT is not a string: 2", "CGI variable B_INT is not a string: 1",
        ])
    }

    @Test func theValidatorReportsEnvironViolationsAndStillRunsTheApplication() {
        var environ = makeEnviron()
        environ["SERVER_NAME"] = ""
        let run = ValidatedRun({ _, startResponse in
            try startResponse("200 OK", [("Content-Length", "2")])
            return ["ok"]
        }, environ)
        #expect(run.checks == [.serverName])
        #expect(run.thrown == nil)
        #expect(run.response?.bodyText == "ok")
    }

    @Test func theDefaultHandlerStopsTheProcess() async {
        await #expect(processExitsWith: .failure) {
            var environ = makeEnviron()
            environ["REQUEST_METHOD"] = ""
            // Everything else is correct (the body is closed), so only the environ can trap.
            var body = try? Validator { _, startResponse in
                try startResponse("200 OK", [])
                return []
            }(environ, RecordingStartResponse().startResponse)
            body?.close()
        }
    }
}
