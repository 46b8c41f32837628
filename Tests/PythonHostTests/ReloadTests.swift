import Foundation
import Glibc
import Testing
import TestSupport

/// `--reload`: a change to the application's source starts fresh workers; a source that does not
/// load leaves the old workers serving.
@Suite struct ReloadTests {
    static func application(answering text: String) -> String {
        """
        def application(environ, start_response):
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"\(text)"]
        """
    }

    @Test func aChangedSourceIsServedAndABrokenOneIsNot() throws {
        let directory = temporaryPath("reload")
        try FileManager.default.createDirectory(atPath: directory + "/pkg", withIntermediateDirectories: true)
        let source = directory + "/pkg/app.py"
        try "".write(toFile: directory + "/pkg/__init__.py", atomically: true, encoding: .utf8)
        try Self.application(answering: "first").write(toFile: source, atomically: false, encoding: .utf8)
        let server = try ServerProcess(
            ["--reload", "--chdir", directory, "pkg.app", "--bind", "127.0.0.1:0"], binary: "swift-wsgi", captureLog: true
        )
        #expect(try get(server, "/").bodyText == "first")
        #expect(server.waitForLog("watching Python sources for changes"))

        try Self.application(answering: "second").write(toFile: source, atomically: false, encoding: .utf8)
        #expect(eventually(timeout: 20) { (try? get(server, "/").bodyText) == "second" }, "\(server.log)")
        #expect(server.waitForLog("reloaded: the new workers are up"))

        try "def application(:\n".write(toFile: source, atomically: false, encoding: .utf8)
        #expect(server.waitForLog("reload failed", timeout: 20), "\(server.log)")
        #expect(server.log.contains("SyntaxError"))
        #expect(try get(server, "/").bodyText == "second")

        // A file that is not Python changes nothing.
        try "notes".write(toFile: directory + "/pkg/README.txt", atomically: false, encoding: .utf8)
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
        #expect(server.log.components(separatedBy: "application sources changed").count == 3)
    }
}
