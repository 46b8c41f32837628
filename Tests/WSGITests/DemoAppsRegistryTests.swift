import DemoApps
import Testing
import WSGI

@Suite struct DemoAppsRegistryTests {
    @Test func namesListsEveryAppWithTheDefaultFirst() {
        #expect(DemoApps.names == ["hello", "stream", "echo"])
    }

    @Test(arguments: [("hello", "text/plain"), ("stream", "text/plain"), ("echo", "application/json")])
    func eachNameResolvesToItsApp(name: String, contentType: String) throws {
        let app = try #require(DemoApps.application(named: name))
        let response = try collect(app, makeEnviron(path: "/", query: "n=1&size=1"))
        #expect(response.header("Content-Type") == contentType)
    }

    @Test(arguments: ["", "Hello", "nope"])
    func unknownNames(name: String) {
        #expect(DemoApps.application(named: name) == nil)
    }
}
