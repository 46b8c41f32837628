import Foundation
import Glibc
import Testing
import TestSupport

/// The `wsgi-demo` executable as users run it: flags, the listening line, signals, exit codes.
@Suite struct DemoBinaryTests {
    @Test func printsTheRealPortAndServes() throws {
        let demo = try ServerProcess(["--bind", "127.0.0.1:0"])
        #expect(demo.listeningLine == "Listening on http://127.0.0.1:\(demo.port)")
        #expect(demo.port > 0)
        let client = try RawClient(port: demo.port)
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().bodyText == "Index")
        demo.signal(SIGTERM)
        #expect(demo.waitForExit() == 0)
    }

    @Test func sigintStopsWithExitZero() throws {
        let demo = try ServerProcess(["--bind", "127.0.0.1:0", "--app", "echo"])
        let client = try RawClient(port: demo.port)
        try client.send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        demo.signal(SIGINT)
        #expect(demo.waitForExit() == 0)
    }

    /// A usage error: status 2, as ArgumentParser's validation failures (a hang fails: nil).
    @Test func unknownAppIsRefused() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServerProcess.binaryPath())
        process.arguments = ["--app", "nope", "--bind", "127.0.0.1:0"]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        #expect(process.waitForExit() == 2)
    }
}
