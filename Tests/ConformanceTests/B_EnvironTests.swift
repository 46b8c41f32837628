import Foundation
import Glibc
import Testing
import TestSupport
import WSGIServer

/// Checklist B: the environ (PEP 3333 "environ Variables", "Unicode Issues").
@Suite struct EnvironTests {
    /// Serves one request and returns the environ the application got.
    static func environ(
        for request: String, threads: Int = 0, scriptName: String = "", extra: [String: String] = [:],
        configure: (inout ServerConfiguration) -> Void = { _ in },
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Environ {
        let log = EnvironLog()
        let harness = try Harness(threads: threads, scriptName: scriptName, environ: extra, configure: configure, app: log.app())
        let response = try harness.request(request)
        #expect(response.status == 200, "\(response)", sourceLocation: sourceLocation)
        harness.finish(sourceLocation: sourceLocation)
        return try #require(log.last, sourceLocation: sourceLocation)
    }

    static func get(_ target: String, _ headers: String = "") throws -> Environ {
        try environ(for: "GET \(target) HTTP/1.1\r\nHost: test\r\n\(headers)\r\n")
    }

    // MARK: S6

    @Test func S6_environIsFreshForEveryRequest() throws {
        let log = EnvironLog()
        let harness = try Harness(app: { environ, startResponse in
            var environ = environ
            if environ["PATH_INFO"] == "/first" {
                environ["x.leak"] = "yes"
                environ["HTTP_HOST"] = "changed"
                environ.removeValue(forKey: "QUERY_STRING")
            }
            log.record(environ)
            try startResponse("200 OK", [("Content-Length", "0")])
            return []
        })
        let client = try harness.client()
        try client.send("GET /first?q=1 HTTP/1.1\r\nHost: test\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        try client.send("GET /second?q=2 HTTP/1.1\r\nHost: test\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        harness.finish()
        let environs = log.all
        try #require(environs.count == 2)
        #expect(environs[0]["x.leak"] == "yes")
        #expect(!environs[1].contains("x.leak"))
        #expect(environs[1]["HTTP_HOST"] == "test")
        #expect(environs[1]["QUERY_STRING"] == "q=2")
    }

    // MARK: S7

    @Test func S7_requestMethodIsTheRequestsMethod() throws {
        for method in ["GET", "POST", "PATCH", "DELETE", "PURGE", "M-SEARCH"] {
            let environ = try Self.environ(for: "\(method) / HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n")
            #expect(environ["REQUEST_METHOD"] == method)
        }
    }

    // MARK: S8

    @Test func S8_scriptNameIsEmptyAtTheRoot() throws {
        let environ = try Self.get("/")
        #expect(environ["SCRIPT_NAME"] == "")
        #expect(environ["PATH_INFO"] == "/")
    }

    @Test func S8_scriptNameIsTheMountPoint() throws {
        let cases: [(target: String, script: String, path: String)] = [
            ("/app/x", "/app", "/x"),
            ("/app", "/app", ""),
            ("/app/", "/app", "/"),
            ("/app/a/b?q=1", "/app", "/a/b"),
            ("/app%2Fx", "/app", "/x"),
        ]
        for (target, script, path) in cases {
            let environ = try Self.environ(for: "GET \(target) HTTP/1.1\r\nHost: test\r\n\r\n", scriptName: "/app")
            #expect(environ["SCRIPT_NAME"] == script, "\(target)")
            #expect(environ["PATH_INFO"] == path, "\(target)")
        }
    }

    @Test func S8_scriptNamePlusPathInfoIsAlwaysTheRequestPath() throws {
        // A request outside the mount point cannot be split at it; the environ must still describe
        // the URL that was asked for (wsgiref.util.request_uri rebuilds it from the two).
        for target in ["/appx", "/other/path", "/ap", "/"] {
            let environ = try Self.environ(for: "GET \(target) HTTP/1.1\r\nHost: test\r\n\r\n", scriptName: "/app")
            let script = try #require(environ["SCRIPT_NAME"])
            let path = try #require(environ["PATH_INFO"])
            #expect(script + path == target, "\(target): SCRIPT_NAME \(script.debugDescription) PATH_INFO \(path.debugDescription)")
            #expect(script.isEmpty || script == "/app", "\(target)")
            #expect(environ.requestURI() == "http://test" + target)
        }
    }

    // MARK: S9

    @Test func S9_pathInfoIsPercentDecodedAsLatin1() throws {
        let environ = try Self.get("/a%20b/%C3%A9?x=1")
        #expect(environ["PATH_INFO"] == "/a b/\u{C3}\u{A9}")
        #expect(environ["QUERY_STRING"] == "x=1")
        let escapes: [(String, String)] = [
            ("/%2F%2f", "///"),  // like wsgiref: an encoded slash decodes too
            ("/%zz%4", "/%zz%4"),  // malformed escapes stay as they are
            ("/%41%62c", "/Abc"),
            ("/%FF", "/\u{FF}"),
            ("/%00", "/\u{0}"),
        ]
        for (target, expected) in escapes {
            #expect(try Self.get(target)["PATH_INFO"] == expected, "\(target)")
        }
    }

    @Test func S9_pathInfoOfOtherTargetForms() throws {
        let absolute = try Self.environ(for: "GET http://example.com/p%41?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n")
        #expect(absolute["PATH_INFO"] == "/pA")
        #expect(absolute["QUERY_STRING"] == "q=1")
        let asterisk = try Self.environ(for: "OPTIONS * HTTP/1.1\r\nHost: test\r\n\r\n")
        #expect(asterisk["PATH_INFO"] == "")
        #expect(asterisk["SCRIPT_NAME"] == "")
    }

    // MARK: S10

    @Test func S10_queryStringIsRawAndAlwaysPresent() throws {
        #expect(try Self.get("/p?a=%20&b")["QUERY_STRING"] == "a=%20&b")
        #expect(try Self.get("/p")["QUERY_STRING"] == "")
        #expect(try Self.get("/p?")["QUERY_STRING"] == "")
        #expect(try Self.get("/p?a=1?b=2/c")["QUERY_STRING"] == "a=1?b=2/c")
    }

    // MARK: S11

    @Test func S11_contentTypeAndLengthHaveNoHTTPPrefix() throws {
        let environ = try Self.environ(for: "POST / HTTP/1.1\r\nHost: test\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc")
        #expect(environ["CONTENT_TYPE"] == "text/plain")
        #expect(environ["CONTENT_LENGTH"] == "3")
        #expect(!environ.contains("HTTP_CONTENT_TYPE"))
        #expect(!environ.contains("HTTP_CONTENT_LENGTH"))
        let bare = try Self.get("/")
        #expect(!bare.contains("CONTENT_TYPE"))
        #expect(!bare.contains("CONTENT_LENGTH"))
        #expect(!bare.contains("HTTP_CONTENT_TYPE"))
        #expect(!bare.contains("HTTP_CONTENT_LENGTH"))
    }

    @Test func S11_aRepeatedContentLengthIsOneNumber() throws {
        // RFC 9112 §6.3 lets a recipient accept identical repeated lengths as one; CONTENT_LENGTH
        // must then still be a number, never the joined "5,5" (or the request is refused).
        let log = EnvironLog()
        let harness = try Harness(app: log.app())
        for headers in ["Content-Length: 5\r\nContent-Length: 5\r\n", "Content-Length: 5, 5\r\n"] {
            let response = try harness.request("POST / HTTP/1.1\r\nHost: test\r\n\(headers)\r\nhello")
            if response.status == 200 {
                #expect(log.last?["CONTENT_LENGTH"] == "5", "\(headers.debugDescription)")
            } else {
                #expect(response.status == 400, "\(headers.debugDescription)")
            }
        }
        harness.finish()
    }

    // MARK: S12

    @Test func S12_serverNameAndPortAreNeverEmpty() throws {
        let log = EnvironLog()
        let harness = try Harness(app: log.app())
        _ = try harness.get("/")
        harness.finish()
        let environ = try #require(log.last)
        #expect(environ["SERVER_NAME"] == "127.0.0.1")
        #expect(environ["SERVER_PORT"] == String(harness.port))
    }

    @Test func S12_aWildcardBindGivesTheAddressConnectedTo() throws {
        let environ = try Self.environ(for: "GET / HTTP/1.1\r\nHost: test\r\n\r\n") { $0.host = "0.0.0.0" }
        #expect(environ["SERVER_NAME"] == "127.0.0.1")
        #expect(environ["SERVER_PORT"]?.isEmpty == false)
        #expect(Int(environ["SERVER_PORT"] ?? "") ?? 0 > 0)
    }

    // MARK: S13

    @Test func S13_serverProtocolIsTheRequestsVersion() throws {
        #expect(try Self.environ(for: "GET / HTTP/1.0\r\n\r\n")["SERVER_PROTOCOL"] == "HTTP/1.0")
        #expect(try Self.environ(for: "GET / HTTP/1.1\r\nHost: test\r\n\r\n")["SERVER_PROTOCOL"] == "HTTP/1.1")
    }

    // MARK: S14

    @Test func S14_oneHTTPKeyPerHeaderAndRepeatsJoinedWithComma() throws {
        let environ = try Self.get("/", "X-A: 1\r\nX-A: 1\r\nx-mixed-Case: v\r\nX-Empty:\r\nAccept: a/b\r\nAccept: c/d\r\n")
        #expect(environ["HTTP_X_A"] == "1,1")
        #expect(environ["HTTP_X_MIXED_CASE"] == "v")
        #expect(environ["HTTP_X_EMPTY"] == "")
        #expect(environ["HTTP_ACCEPT"] == "a/b,c/d")
        #expect(environ["HTTP_HOST"] == "test")
        #expect(!environ.contains("HTTP_X_B"))
        let httpKeys = Set(environ.keys.filter { $0.hasPrefix("HTTP_") })
        #expect(httpKeys == ["HTTP_X_A", "HTTP_X_MIXED_CASE", "HTTP_X_EMPTY", "HTTP_ACCEPT", "HTTP_HOST"])
    }

    // MARK: S15

    @Test func S15_headerNamesWithUnderscoresAreDropped() throws {
        let environ = try Self.get("/", "X_Forwarded_For: 1.2.3.4\r\nX-Forwarded-For: 5.6.7.8\r\nX_Only_Underscore: 1\r\n")
        #expect(environ["HTTP_X_FORWARDED_FOR"] == "5.6.7.8")
        #expect(!environ.contains("HTTP_X_ONLY_UNDERSCORE"))
        #expect(!environ.keys.contains { $0.hasPrefix("HTTP_") && $0.contains("ONLY") })
    }

    // MARK: S16

    @Test func S16_theSevenWSGIKeysArePresentAndTyped() throws {
        let environ = try Self.get("/")
        guard case .version(1, 0)? = environ[value: "wsgi.version"] else {
            Issue.record("wsgi.version is \(String(describing: environ[value: "wsgi.version"]))")
            return
        }
        #expect(environ[value: "wsgi.url_scheme"]?.stringValue == "http")
        guard case .input? = environ[value: "wsgi.input"] else { Issue.record("wsgi.input"); return }
        guard case .errors? = environ[value: "wsgi.errors"] else { Issue.record("wsgi.errors"); return }
        for key in ["wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once"] {
            #expect(environ[value: key]?.boolValue != nil, "\(key)")
        }
        #expect(Validator.violations(in: environ).isEmpty)
    }

    @Test func S16_urlSchemeFollowsTheConfiguration() throws {
        let environ = try Self.environ(for: "GET / HTTP/1.1\r\nHost: test\r\n\r\n") { $0.urlScheme = "https" }
        #expect(environ["wsgi.url_scheme"] == "https")
    }

    // MARK: S17

    @Test func S17_multithreadMultiprocessAndRunOnceTellTheTruth() throws {
        let single = try Self.get("/")
        #expect(single.multithread == false)
        #expect(single.multiprocess == false)
        #expect(single.runOnce == false)
        let pooled = try Self.environ(for: "GET / HTTP/1.1\r\nHost: test\r\n\r\n", threads: 2)
        #expect(pooled.multithread == true)
        #expect(pooled.runOnce == false)
        let processes = try Self.environ(for: "GET / HTTP/1.1\r\nHost: test\r\n\r\n") { $0.multiprocess = true }
        #expect(processes.multiprocess == true)
    }

    @Test func S17_severalEventLoopsMakeTheApplicationMultithreaded() throws {
        // With loops > 1 every loop thread runs the application (threads == 0 runs it inline), so
        // two requests on two connections can be inside it at once: wsgi.multithread must be true.
        let threads = Shared<Set<UInt>>([])
        let log = EnvironLog()
        let harness = try Harness(configure: { $0.loops = 2 }, app: { environ, startResponse in
            threads.update { $0.insert(UInt(bitPattern: Int(bitPattern: pthread_self()))) }
            log.record(environ)
            try startResponse("200 OK", [("Content-Length", "0")])
            return []
        })
        // Enough connections for the kernel to hand some to each loop.
        for _ in 0..<40 where threads.value.count < 2 {
            _ = try harness.get("/")
        }
        harness.finish()
        #expect(threads.value.count == 2, "the application ran on \(threads.value.count) loop threads")
        #expect(!log.all.isEmpty && log.all.allSatisfy { $0.multithread })
    }

    // MARK: S18

    @Test func S18_everyCGIVariableIsANativeString() throws {
        let environ = try Self.environ(
            for: "POST /p?q HTTP/1.1\r\nHost: test\r\nContent-Type: a/b\r\nContent-Length: 1\r\nX-Y: z\r\n\r\n!",
            extra: ["DEPLOY_SETTING": "1"]
        )
        let cgiKeys = environ.keys.filter { !$0.contains(".") }
        #expect(cgiKeys.count >= 15)
        for key in cgiKeys {
            guard case .string(let value)? = environ[value: key] else {
                Issue.record("\(key) is \(String(describing: environ[value: key]))")
                continue
            }
            #expect(value.unicodeScalars.allSatisfy { $0.value <= 0xFF }, "\(key)")
        }
    }

    // MARK: S19

    @Test func S19_requestBytesAreDecodedAsLatin1() throws {
        let log = EnvironLog()
        let harness = try Harness(app: log.app())
        let client = try harness.client()
        var request = Array("GET / HTTP/1.1\r\nHost: test\r\nX-Latin: ".utf8)
        let raw: [UInt8] = [0x63, 0x61, 0x66, 0xC3, 0xA9, 0x20, 0xFF, 0x80]
        request += raw + Array("\r\n\r\n".utf8)
        try client.send(request)
        #expect(try client.readResponse().status == 200)
        harness.finish()
        let value = try #require(log.last?["HTTP_X_LATIN"])
        #expect(value.unicodeScalars.map(\.value) == raw.map(UInt32.init))
        #expect(Bytes(latin1: value)?.array == raw)
    }

    @Test func S19_rawHighBytesInTheTargetAreLatin1OrRefused() throws {
        // RFC 9112 allows only ASCII in a request target: a strict server may refuse such a request
        // (400). If it serves it, the bytes must reach PATH_INFO and QUERY_STRING 1:1 as ISO-8859-1.
        let log = EnvironLog()
        let harness = try Harness(app: log.app())
        let client = try harness.client()
        try client.send(Array("GET /caf".utf8) + [0xC3, 0xA9] + Array("?q=".utf8) + [0xFF] + Array(" HTTP/1.1\r\nHost: test\r\n\r\n".utf8))
        let response = try client.readResponse()
        harness.finish()
        if response.status == 200 {
            let environ = try #require(log.last)
            #expect(environ["PATH_INFO"] == "/caf\u{C3}\u{A9}")
            #expect(environ["QUERY_STRING"] == "q=\u{FF}")
        } else {
            #expect(response.status == 400)
            #expect(log.all.isEmpty)
        }
    }

    // MARK: S20

    @Test func S20_otherCGIVariablesArePresentAndMissingOnesAbsent() throws {
        let log = EnvironLog()
        let harness = try Harness(app: log.app())
        let client = try harness.client()
        try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        harness.finish()
        let environ = try #require(log.last)
        #expect(environ["REMOTE_ADDR"] == "127.0.0.1")
        #expect(environ["REMOTE_PORT"] == String(client.localPort))
        #expect(environ["SERVER_SOFTWARE"] == ServerConfiguration().serverSoftware)
        #expect(environ["GATEWAY_INTERFACE"] == "CGI/1.1")
        for absent in ["REMOTE_USER", "REMOTE_HOST", "AUTH_TYPE", "REMOTE_IDENT", "HTTPS", "PATH_TRANSLATED"] {
            #expect(!environ.contains(absent), "\(absent)")
        }
        // Only the keys PEP 3333 allows to be empty are empty.
        let empty = environ.keys.filter { environ[$0] == "" }
        #expect(Set(empty).isSubset(of: ["SCRIPT_NAME", "QUERY_STRING", "PATH_INFO"]), "\(empty)")
    }

    // MARK: S21

    /// docs/ENVIRON.md: the rows of its key table (first column, in backticks).
    static func documentedKeys() throws -> [String] {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/ENVIRON.md"), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("| `") else { return nil }
            let cell = line.dropFirst(3)
            guard let end = cell.firstIndex(of: "`") else { return nil }
            return String(cell[..<end])
        }
    }

    @Test func S21_theDocumentedKeysAreExactlyTheKeysSet() throws {
        let documented = try Self.documentedKeys()
        #expect(Set(documented).count == documented.count, "a key is documented twice")
        // A request that makes every conditional key appear (and one deployer extra).
        let environ = try Self.environ(
            for: "POST /p?q=1 HTTP/1.1\r\nHost: test\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nX-Probe: 1\r\n\r\nhi",
            extra: ["DEPLOYER_KEY": "from configuration"]
        )
        let patterns = documented.filter { $0.hasSuffix("*") }.map { String($0.dropLast()) }
        let exact = Set(documented.filter { !$0.hasSuffix("*") })
        let real = environ.keys.filter { $0 != "DEPLOYER_KEY" }
        let covered = Set(real.filter { key in !patterns.contains { key.hasPrefix($0) } })
        #expect(covered == exact, "set but undocumented: \(covered.subtracting(exact).sorted()); documented but not set: \(exact.subtracting(covered).sorted())")
        #expect(patterns == ["HTTP_"])
        #expect(environ["HTTP_X_PROBE"] == "1")
        #expect(environ["DEPLOYER_KEY"] == "from configuration")
    }

    // MARK: S22

    @Test func S22_extensionKeysAreLowerCaseAndPrefixed() throws {
        let environ = try Self.environ(for: "POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 1\r\n\r\nx")
        let pep3333 = ["wsgi.version", "wsgi.url_scheme", "wsgi.input", "wsgi.errors", "wsgi.multithread",
                       "wsgi.multiprocess", "wsgi.run_once", "wsgi.file_wrapper"]
        let extensions = environ.keys.filter { $0.contains(".") && !pep3333.contains($0) }
        // The one de-facto extension the server sets, spelled as gunicorn and waitress spell it.
        #expect(Set(extensions) == ["wsgi.input_terminated"])
        for key in environ.keys where key.contains(".") {
            #expect(key.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x5F }, "\(key)")
        }
        // Keys without a dot are CGI variables: upper case.
        for key in environ.keys where !key.contains(".") {
            #expect(key == key.uppercased(), "\(key)")
        }
    }

    // MARK: S23

    @Test func S23_theDeployerCanAddEnvironEntries() throws {
        let environ = try Self.environ(
            for: "GET / HTTP/1.1\r\nHost: test\r\n\r\n",
            extra: ["app.cfg": "/etc/x", "DEPLOYMENT": "staging", "REQUEST_METHOD": "BOGUS", "HTTP_HOST": "spoofed"]
        )
        #expect(environ["app.cfg"] == "/etc/x")
        #expect(environ["DEPLOYMENT"] == "staging")
        // Request-specific keys win over configured ones, as in wsgiref (os.environ, then the request).
        #expect(environ["REQUEST_METHOD"] == "GET")
        #expect(environ["HTTP_HOST"] == "test")
    }
}

/// The repository root (this file is Tests/ConformanceTests/B_EnvironTests.swift, possibly reached
/// through a symlinked package).
let repositoryRoot: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
