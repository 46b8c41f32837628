import HTTP1Parser
import HTTPServerCore
import SharedBytes
import Testing
import WSGIGateway

/// The CGI mapping from the parser's head: every variable, looked up one at a time and visited all
/// at once, for the same request.
@Suite struct CGIVariablesTests {
    static let server = ServerInfo(software: "test/1", urlScheme: "http", host: "0.0.0.0", applicationThreads: 0, multithread: false, multiprocess: false)
    static let connection = ConnectionInfo(remoteAddress: "192.0.2.7", remotePort: 51000, localAddress: "127.0.0.1", localPort: 8051)

    /// Parses `request` (a whole head) and calls `body` with its variables.
    static func withVariables(
        _ request: String, mountPoint: String = "", server: ServerInfo = server, connection: ConnectionInfo = connection,
        _ body: (CGIVariables) throws -> Void
    ) throws {
        let bytes = Array(request.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })
        let context = CGIContext(connection: connection, server: server, mountPoint: Bytes(latin1: mountPoint)!)
        var parser = RequestParser()
        try bytes.withUnsafeBytes { raw in
            let (event, _) = parser.parse(raw)
            try #require(event == .head, "\(event)")
            try withExtendedLifetime(context) {
                try body(CGIVariables(head: parser.head, bytes: raw, context: context))
            }
        }
    }

    static func value(_ variables: CGIVariables, _ variable: CGIVariable) -> String? {
        var text: String?
        variables.withValue(of: variable) { text = String(decoding: $0, as: UTF8.self) }
        return text
    }

    static func header(_ variables: CGIVariables, _ key: String) -> String? {
        var text: String?
        variables.withHeaderValue(forKey: key) { text = String(decoding: $0, as: UTF8.self) }
        return text
    }

    /// Every variable as forEach delivers it, keyed by environ name (values as ISO-8859-1 text).
    static func all(_ variables: CGIVariables) -> [String: String] {
        var found: [String: String] = [:]
        variables.forEach { name, value in
            let key: String
            switch name {
            case .variable(let variable): key = variable.name
            case .header(let fieldName): key = CGIVariables.headerKey(fieldName: fieldName)
            }
            #expect(found[key] == nil, "\(key) delivered twice")
            found[key] = String(value.map { Character(Unicode.Scalar($0)) })
        }
        return found
    }

    @Test func theRequestLineAndTheSocket() throws {
        try Self.withVariables("GET /a/b?x=1&y=%20 HTTP/1.1\r\nHost: h\r\n\r\n") { variables in
            let all = Self.all(variables)
            #expect(all["REQUEST_METHOD"] == "GET")
            #expect(all["SCRIPT_NAME"] == "")
            #expect(all["PATH_INFO"] == "/a/b")
            #expect(all["QUERY_STRING"] == "x=1&y=%20", "the query stays raw")
            #expect(all["SERVER_PROTOCOL"] == "HTTP/1.1")
            #expect(all["SERVER_NAME"] == "127.0.0.1", "a wildcard host names the address the client reached")
            #expect(all["SERVER_PORT"] == "8051")
            #expect(all["REMOTE_ADDR"] == "192.0.2.7", "an address, no port")
            #expect(all["REMOTE_PORT"] == "51000")
            #expect(all["SERVER_SOFTWARE"] == "test/1")
            #expect(all["GATEWAY_INTERFACE"] == "CGI/1.1")
            #expect(all["REQUEST_URI"] == "/a/b?x=1&y=%20")
            #expect(all["RAW_URI"] == "/a/b?x=1&y=%20")
            #expect(all["HTTP_HOST"] == "h")
            #expect(all["CONTENT_TYPE"] == nil && all["CONTENT_LENGTH"] == nil)
            for variable in CGIVariable.allCases {
                #expect(Self.value(variables, variable) == all[variable.name], "\(variable.name): lookup and visit agree")
            }
        }
    }

    @Test func aConcreteHostIsTheServerName() throws {
        let named = ServerInfo(software: "t", urlScheme: "http", host: "example.test", applicationThreads: 0, multithread: false, multiprocess: false)
        try Self.withVariables("GET / HTTP/1.1\r\nHost: h\r\n\r\n", server: named) { variables in
            #expect(Self.value(variables, .serverName) == "example.test")
        }
    }

    @Test func thePathIsPercentDecodedToBytes() throws {
        try Self.withVariables("GET /caf%C3%A9/%2F%zz%4 HTTP/1.1\r\nHost: h\r\n\r\n") { variables in
            var bytes: [UInt8] = []
            variables.withValue(of: .pathInfo) { bytes = Array($0) }
            #expect(bytes == Array("/caf".utf8) + [0xC3, 0xA9] + Array("//%zz%4".utf8), "malformed escapes stay as they are")
        }
    }

    @Test func theMountPointSplitsThePath() throws {
        let cases: [(path: String, script: String, info: String)] = [
            ("/app", "/app", ""),
            ("/app/", "/app", "/"),
            ("/app/x/y", "/app", "/x/y"),
            ("/appx", "", "/appx"),
            ("/other", "", "/other"),
            ("/%61pp/x", "/app", "/x"),
        ]
        for (path, script, info) in cases {
            try Self.withVariables("GET \(path) HTTP/1.1\r\nHost: h\r\n\r\n", mountPoint: "/app") { variables in
                #expect(Self.value(variables, .scriptName) == script, "\(path)")
                #expect(Self.value(variables, .pathInfo) == info, "\(path)")
            }
        }
    }

    @Test func otherTargetFormsHaveTheirPath() throws {
        try Self.withVariables("GET http://h:1/p/q?z HTTP/1.1\r\nHost: h:1\r\n\r\n") { variables in
            #expect(Self.value(variables, .pathInfo) == "/p/q")
            #expect(Self.value(variables, .queryString) == "z")
        }
        try Self.withVariables("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n") { variables in
            #expect(Self.value(variables, .pathInfo) == "")
        }
        try Self.withVariables("CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n") { variables in
            #expect(Self.value(variables, .pathInfo) == "")
            #expect(Self.value(variables, .requestURI) == "h:443")
        }
    }

    @Test func repeatedFieldsAreJoinedInOrderAndUnderscoresDropped() throws {
        let request = "GET / HTTP/1.1\r\nHost: h\r\nX-Tag: a\r\nAccept: */*\r\nx-tag: b\r\nX_Tag: forged\r\nX-TAG:  c \r\n\r\n"
        try Self.withVariables(request) { variables in
            let all = Self.all(variables)
            #expect(all["HTTP_X_TAG"] == "a,b,c")
            #expect(Self.header(variables, "HTTP_X_TAG") == "a,b,c")
            #expect(all["HTTP_ACCEPT"] == "*/*")
            #expect(!all.values.contains("forged"), "a name with `_` cannot pose as one with `-`")
            #expect(Self.header(variables, "HTTP_NOT_SENT") == nil)
            #expect(Self.header(variables, "HTTP_") == nil)
        }
    }

    @Test func contentTypeAndLengthAreCGIVariables() throws {
        let request = "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"
        try Self.withVariables(request) { variables in
            let all = Self.all(variables)
            #expect(all["CONTENT_TYPE"] == "text/plain")
            #expect(all["CONTENT_LENGTH"] == "5", "one number, even for a repeated field")
            #expect(all["HTTP_CONTENT_TYPE"] == nil && all["HTTP_CONTENT_LENGTH"] == nil)
            #expect(Self.header(variables, "HTTP_CONTENT_LENGTH") == nil)
        }
        try Self.withVariables("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n") { variables in
            #expect(Self.value(variables, .contentLength) == nil, "a chunked body has no length")
            #expect(Self.header(variables, "HTTP_TRANSFER_ENCODING") == "chunked")
        }
    }

    @Test func latin1BytesPassThroughUnchanged() throws {
        try Self.withVariables("GET / HTTP/1.1\r\nHost: h\r\nX-Name: caf\u{E9}\r\n\r\n") { variables in
            var bytes: [UInt8] = []
            variables.withHeaderValue(forKey: "HTTP_X_NAME") { bytes = Array($0) }
            #expect(bytes == Array("caf".utf8) + [0xE9])
        }
    }

    @Test func theHTTP10ProtocolIsReported() throws {
        try Self.withVariables("GET / HTTP/1.0\r\n\r\n") { variables in
            #expect(Self.value(variables, .serverProtocol) == "HTTP/1.0")
            #expect(Self.all(variables)["HTTP_HOST"] == nil)
        }
    }

    @Test func forwardingHeadersCountOnlyFromATrustedPeer() throws {
        let request = "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\n\r\n"
        let proxy = ConnectionInfo(remoteAddress: "127.0.0.1", remotePort: 5000, localAddress: "127.0.0.1", localPort: 8051)
        try Self.withVariables(request, connection: proxy) { variables in
            #expect(Self.value(variables, .remoteAddr) == "203.0.113.9")
            #expect(Self.all(variables)["REMOTE_ADDR"] == "203.0.113.9")
            #expect(variables.forwarded == ForwardedHeaders(client: "203.0.113.9", scheme: "https"))
            #expect(variables.connection.remoteAddress == "127.0.0.1")
        }
        // The default connection's peer, 192.0.2.7, is not in the default list (loopback).
        try Self.withVariables(request) { variables in
            #expect(Self.value(variables, .remoteAddr) == "192.0.2.7")
            #expect(variables.forwarded == nil)
        }
        // Forwarded (RFC 7239) wins over X-Forwarded-*; without any, nothing changes.
        try Self.withVariables("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 203.0.113.9\r\nforwarded: for=198.51.100.1\r\n\r\n", connection: proxy) { variables in
            #expect(Self.value(variables, .remoteAddr) == "198.51.100.1")
        }
        try Self.withVariables("GET / HTTP/1.1\r\nHost: h\r\n\r\n", connection: proxy) { variables in
            #expect(variables.forwarded == nil)
            #expect(Self.value(variables, .remoteAddr) == "127.0.0.1")
        }
    }
}
