import DemoApps
import Foundation
import Testing
import TestSupport
import WSGIServer

/// The classic demo over real sockets: the foundation everything else stands on.
@Suite struct FoundationTests {
    @Test func indexAndHello() throws {
        let server = try TestServer(app: DemoApps.application(named: "hello")!)
        defer { server.stop() }
        let index = try server.request("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(index.status == 200)
        #expect(index.bodyText == "Index")
        #expect(index.header("Content-Length") == "5")
        #expect(index.header("Date") != nil)
        #expect(index.header("Server")?.hasPrefix("swift-wsgi") == true)
        let hello = try server.request("GET /abcd HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(hello.bodyText == "Hello")
    }

    @Test func keepAliveServesManyRequestsOnOneConnection() throws {
        let server = try TestServer(app: DemoApps.application(named: "hello")!)
        defer { server.stop() }
        let client = try server.client()
        for index in 0..<50 {
            try client.send("GET /\(index % 2 == 0 ? "" : "x") HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.bodyText == (index % 2 == 0 ? "Index" : "Hello"))
            #expect(response.header("Connection") == nil)
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let server = try TestServer(app: DemoApps.application(named: "hello")!)
        defer { server.stop() }
        let client = try server.client()
        let batch = (0..<16).map { "GET /\($0 % 3 == 0 ? "" : "p\($0)") HTTP/1.1\r\nHost: x\r\n\r\n" }.joined()
        try client.send(batch)
        for index in 0..<16 {
            #expect(try client.readResponse().bodyText == (index % 3 == 0 ? "Index" : "Hello"))
        }
    }

    @Test func http10ClosesAfterTheResponse() throws {
        let server = try TestServer(app: DemoApps.application(named: "hello")!)
        defer { server.stop() }
        let client = try server.client()
        try client.send("GET / HTTP/1.0\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.bodyText == "Index")
        #expect(response.header("Connection")?.lowercased() == "close")
        #expect(client.isClosedByPeer())
    }

    @Test func http10KeepAliveIsHonoured() throws {
        let server = try TestServer(app: DemoApps.application(named: "hello")!)
        defer { server.stop() }
        let client = try server.client()
        for _ in 0..<3 {
            try client.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.header("Connection")?.lowercased() == "keep-alive")
        }
    }

    @Test func connectionCloseRequestClosesAfterTheResponse() throws {
        let server = try TestServer(app: DemoApps.application(named: "hello")!)
        defer { server.stop() }
        let client = try server.client()
        try client.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(try client.readResponse().header("Connection") == "close")
        #expect(client.isClosedByPeer())
    }

    @Test func postBodyReachesTheEchoApp() throws {
        let server = try TestServer(app: DemoApps.application(named: "echo")!)
        defer { server.stop() }
        let response = try server.request("POST /submit?a=1 HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world")
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json")
        let json = try #require(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        #expect(json["body"] as? String == "hello world")
        #expect(json["body_size"] as? Int == 11)
        let environ = try #require(json["environ"] as? [String: String])
        #expect(environ["REQUEST_METHOD"] == "POST")
        #expect(environ["PATH_INFO"] == "/submit")
        #expect(environ["QUERY_STRING"] == "a=1")
        #expect(environ["CONTENT_LENGTH"] == "11")
        #expect(environ["CONTENT_TYPE"] == "text/plain")
        #expect(environ["HTTP_HOST"] == "x")
        #expect(environ["wsgi.url_scheme"] == "http")
    }

    @Test func chunkedBodyReachesTheEchoApp() throws {
        let server = try TestServer(app: DemoApps.application(named: "echo")!)
        defer { server.stop() }
        let client = try server.client()
        try client.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        try client.send("6\r\n world\r\n0\r\n\r\n")
        let response = try client.readResponse()
        let json = try #require(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        #expect(json["body"] as? String == "hello world")
        #expect(json["body_size"] as? Int == 11)
    }

    @Test func startingThenStoppingLeavesNoHandleOpen() throws {
        let server = try TestServer(app: DemoApps.application(named: "hello")!)
        _ = try server.request("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let idle = try server.client()  // an open keep-alive connection at shutdown
        try idle.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try idle.readResponse()
        server.stop()
        #expect(server.server.state == .stopped)
        #expect(server.server.closedCleanly)
    }
}
