import Testing
import WSGI

@Suite struct PathDispatcherTests {
    /// An application that answers `name SCRIPT_NAME|PATH_INFO`, to see where a request went and how.
    static func mounted(_ name: String) -> Application {
        { environ, startResponse in
            try startResponse("200 OK", [("Content-Type", "text/plain")])
            return [Bytes(utf8: "\(name) \(environ["SCRIPT_NAME", default: "-"])|\(environ["PATH_INFO", default: "-"])")]
        }
    }

    static let site = PathDispatcher([
        "/api": mounted("api"), "/api/v2/": mounted("v2"), "/": mounted("root"),
    ])

    @Test(arguments: [
        ("/api/users", "api /api|/users"),
        ("/api", "api /api|"),
        ("/api/", "api /api|/"),
        ("/apis", "root |/apis"),
        ("/api/v2", "v2 /api/v2|"),
        ("/api/v2/items/1", "v2 /api/v2|/items/1"),
        ("/api/v20", "api /api|/v20"),
        ("/", "root |/"),
        ("", "root |"),
        ("/other/api", "root |/other/api"),
    ])
    func theLongestWholeSegmentPrefixWins(path: String, answer: String) throws {
        let response = try collect(Self.site.application, makeEnviron(path: path))
        #expect(response.bodyText == answer)
    }

    @Test func theApplicationsOwnScriptNameIsKept() throws {
        var environ = makeEnviron(path: "/api/x")
        environ["SCRIPT_NAME"] = "/base"
        #expect(try collect(Self.site.application, environ).bodyText == "api /base/api|/x")
    }

    @Test func theRequestURIIsUnchangedByDispatching() throws {
        let original = makeEnviron(path: "/api/v2/a b", query: "q=1")
        let seen = Counter()
        let dispatcher = PathDispatcher(["/api/v2": { environ, startResponse in
            #expect(environ.requestURI() == original.requestURI())
            seen.increment()
            try startResponse("200 OK", [])
            return []
        }])
        _ = try collect(dispatcher.application, original)
        #expect(seen.value == 1)
    }

    @Test func nothingMatchesWithoutARootMount() throws {
        let dispatcher = PathDispatcher(["/api": Self.mounted("api")])
        let response = try collect(dispatcher.application, makeEnviron(path: "/other"))
        #expect(response.status == "404 Not Found")
        #expect(response.bodyText == "Not Found\n")
        #expect(response.header("Content-Length") == "10")
        #expect(response.header("Content-Type") == "text/plain")
    }

    @Test func anEmptyPrefixIsTheRoot() throws {
        let dispatcher = PathDispatcher(["": Self.mounted("root")])
        #expect(try collect(dispatcher.application, makeEnviron(path: "/x")).bodyText == "root |/x")
    }

    @Test func dispatchingPassesTheValidator() {
        let run = ValidatedRun(PathDispatcher(["/api": { _, startResponse in
            try startResponse("200 OK", [("Content-Length", "2")])
            return ["ok"]
        }]).application, makeEnviron(path: "/api/x"))
        #expect(run.checks == [])
        let miss = ValidatedRun(PathDispatcher([:]).application, makeEnviron(path: "/x"))
        #expect(miss.checks == [])
        #expect(miss.response?.status == "404 Not Found")
    }
}
