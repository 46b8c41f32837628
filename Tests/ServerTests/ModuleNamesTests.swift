import Foundation
import Testing
import TestSupport
import WSGIServer

/// The README's embedding example, as written there.
func readmeApplication(environ: Environ, startResponse: StartResponse) throws -> ResponseBody {
    let path = environ["PATH_INFO"] ?? "/"
    // A literal is static data; other text becomes bytes with Bytes(utf8:).
    let body: Bytes = path == "/" ? "Index" : Bytes(utf8: "Hello from \(path)")
    try startResponse("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "\(body.count)")])
    return [body]
}

/// Names an embedder writes qualified by the module, which the server type once shadowed, and the
/// README's examples.
@Suite struct ModuleNamesTests {
    @Test func moduleQualifiedNamesResolve() throws {
        let body: WSGIServer.Bytes = "x"
        #expect(body.count == 1)
        let server = try WSGIServer.makeServer(host: "127.0.0.1", port: 0, app: readmeApplication)
        let thread = Thread { server.serveForever() }
        thread.start()
        defer { server.shutdown() }
        let client = try RawClient(port: server.port)
        #expect(try client.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").bodyText == "Index")
        #expect(try client.exchange("GET /x%C3%A9 HTTP/1.1\r\nHost: h\r\n\r\n").bodyText == "Hello from /x\u{C3}\u{A9}")
    }
}
