extension Validator {
    /// The CGI keys a server must always set. PEP 3333 lets `SCRIPT_NAME`, `PATH_INFO` and
    /// `QUERY_STRING` be omitted when empty; this project's server always sets them.
    static let requiredCGIKeys = [
        "REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING",
        "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL",
    ]

    /// The `wsgi.*` keys PEP 3333 requires.
    static let requiredWSGIKeys = [
        "wsgi.version", "wsgi.url_scheme", "wsgi.input", "wsgi.errors",
        "wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once",
    ]

    /// Every way `environ` breaks the server side of PEP 3333, in a stable order; empty when valid.
    ///
    /// ``Validator`` reports these before calling the application. Usable on its own: a server's
    /// tests can check the environs it builds without running an application.
    public static func violations(in environ: Environ) -> [Violation] {
        var found: [Violation] = []
        func flag(_ check: Violation.Check, _ message: String) { found.append(Violation(check, message)) }

        for key in requiredCGIKeys + requiredWSGIKeys where !environ.contains(key) {
            flag(.requiredKey, "\(key) is missing")
        }
        for (key, value) in environ.sorted(by: { $0.key < $1.key }) where !key.utf8.contains(UInt8(ascii: ".")) {
            guard case .string(let text) = value else {
                flag(.nativeString, "CGI variable \(key) is not a string: \(value)")
                continue
            }
            if text.unicodeScalars.contains(where: { $0.value > 0xFF }) {
                flag(.nativeString, "\(key) holds a scalar above U+00FF: \(text.debugDescription)")
            }
        }

        if environ["REQUEST_METHOD"]?.isEmpty == true {
            flag(.requestMethod, "REQUEST_METHOD is empty")
        }
        if let script = environ["SCRIPT_NAME"], !(script.isEmpty || (startsWithSlash(script) && script != "/")) {
            flag(.scriptName, "SCRIPT_NAME must be empty or start with / and not be /: \(script.debugDescription)")
        }
        if let path = environ["PATH_INFO"], !(path.isEmpty || startsWithSlash(path)) {
            flag(.pathInfo, "PATH_INFO must be empty or start with /: \(path.debugDescription)")
        }
        if environ["SERVER_NAME"]?.isEmpty == true {
            flag(.serverName, "SERVER_NAME is empty")
        }
        if environ["SERVER_PORT"]?.isEmpty == true {
            flag(.serverPort, "SERVER_PORT is empty")
        }
        if let version = environ["SERVER_PROTOCOL"], !(version.hasPrefix("HTTP/") && version.utf8.count > 5) {
            flag(.serverProtocol, "SERVER_PROTOCOL is not HTTP/<version>: \(version.debugDescription)")
        }
        if let length = environ["CONTENT_LENGTH"], !length.isEmpty, !isDecimal(length) {
            flag(.contentLength, "CONTENT_LENGTH is not a decimal number: \(length.debugDescription)")
        }
        for key in ["HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"] where environ.contains(key) {
            flag(.contentHeaderPrefix, "\(key) must be \(key.dropFirst(5)), without the HTTP_ prefix")
        }

        if let version = environ[value: "wsgi.version"] {
            if case .version(1, 0) = version {} else { flag(.wsgiVersion, "wsgi.version is \(version), not (1, 0)") }
        }
        if let scheme = environ[value: "wsgi.url_scheme"], scheme.stringValue != "http", scheme.stringValue != "https" {
            flag(.urlScheme, "wsgi.url_scheme is \(scheme), not \"http\" or \"https\"")
        }
        if let input = environ[value: "wsgi.input"] {
            if case .input = input {} else { flag(.wsgiStream, "wsgi.input is \(input), not a WSGIInput") }
        }
        if let errors = environ[value: "wsgi.errors"] {
            if case .errors = errors {} else { flag(.wsgiStream, "wsgi.errors is \(errors), not a WSGIErrors") }
        }
        for key in ["wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once"] {
            if let flagValue = environ[value: key], flagValue.boolValue == nil {
                flag(.wsgiFlag, "\(key) is \(flagValue), not a boolean")
            }
        }
        return found
    }

    private static func startsWithSlash(_ path: String) -> Bool { path.utf8.first == UInt8(ascii: "/") }

    /// One or more ASCII digits: the only form `CONTENT_LENGTH` and a `Content-Length` header take.
    static func isDecimal(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 &- UInt8(ascii: "0") < 10 }
    }
}
