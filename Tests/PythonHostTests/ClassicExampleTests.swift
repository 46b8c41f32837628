import Foundation
import Glibc
import Testing
import TestSupport

/// The classic `web_application.py` every WSGI tutorial starts with, served as gunicorn would:
/// `swift-wsgi web_application:application --bind 127.0.0.1:8051`.
@Suite(.serialized) struct ClassicExampleTests {
    @Test func servesIndexAndHelloOnPort8051() throws {
        let server = try ServerProcess(
            ["web_application:application", "--bind", "127.0.0.1:8051"], binary: "swift-wsgi",
            directory: PythonFixtures.directory, captureLog: true
        )
        #expect(server.listeningLine == "Listening on http://127.0.0.1:8051")
        let client = try RawClient(port: 8051)
        try client.send("GET / HTTP/1.1\r\nHost: localhost:8051\r\n\r\n")
        let index = try client.readResponse()
        #expect(index.status == 200)
        #expect(index.bodyText == "Index")
        #expect(index.header("Content-Type") == "text/plain")
        #expect(index.header("Content-Length") == "5")
        // Same connection: keep-alive.
        try client.send("GET /abcd HTTP/1.1\r\nHost: localhost:8051\r\n\r\n")
        #expect(try client.readResponse().bodyText == "Hello")
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
    }

    /// The classic example as a program, its one import changed to `from swift_wsgi import
    /// make_server`: it serves Index and Hello on port 8051 unchanged (`'localhost'` included), and
    /// SIGTERM drains and returns from `serve_forever()`, so the program goes on.
    @Test func theProgramWithItsImportChangedServesOnPort8051() throws {
        let program = Process()
        program.executableURL = URL(fileURLWithPath: PythonFixtures.venv + "/bin/python")
        program.arguments = ["web_application_program.py"]
        program.currentDirectoryURL = URL(fileURLWithPath: PythonFixtures.directory)
        let output = Pipe()
        program.standardOutput = output
        program.standardError = output
        try program.run()
        var client: RawClient?
        #expect(eventually(timeout: 20) {
            client = try? RawClient(port: 8051)
            return client != nil
        })
        let connection = try #require(client)
        try connection.send("GET / HTTP/1.1\r\nHost: localhost:8051\r\n\r\n")
        #expect(try connection.readResponse().bodyText == "Index")
        try connection.send("GET /abcd HTTP/1.1\r\nHost: localhost:8051\r\n\r\n")
        #expect(try connection.readResponse().bodyText == "Hello")
        kill(program.processIdentifier, SIGTERM)
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(program.waitForExit() == 0, "\(text)")
        #expect(text.contains("serve_forever returned"), "\(text)")
    }

    @Test func theStrBodyVersionAnswers500AndNamesTheFix() throws {
        let server = try PythonFixtures.serve(["web_application_str:application"])
        let response = try get(server, "/")
        #expect(response.status == 500)
        #expect(response.bodyText == "Internal Server Error\n")
        #expect(server.waitForLog("response_body.encode()"))
        let lines = server.log.split(separator: "\n").filter { $0.contains("Error handling request GET /") }
        #expect(lines.count == 1)
        #expect(lines.first?.contains("str 'Index', not bytes") == true, "\(lines)")
        // The server is fine afterwards.
        #expect(try get(server, "/abcd").status == 500)
    }

    @Test func theClassicExamplePassesTheValidator() throws {
        let server = try PythonFixtures.serve(["validated:wrap('web_application:application')"])
        #expect(try get(server, "/").bodyText == "Index")
        #expect(try get(server, "/abcd").bodyText == "Hello")
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
        #expect(validatorComplaints(server.log).isEmpty, "\(server.log)")
    }

    @Test func aModuleThatServesWhenImportedIsRefusedWithExit3() throws {
        let (status, errors) = try PythonFixtures.run(["web_application_serving:application", "--import-timeout", "1", "--bind", "127.0.0.1:0"])
        #expect(status == 3)
        #expect(errors.contains("did not finish within 1 s"), "\(errors)")
        #expect(errors.contains("if __name__ == \"__main__\":"))
    }
}
