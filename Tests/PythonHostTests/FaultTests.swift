import Foundation
import Testing
import TestSupport

/// An application that raises what Python does not count as an error (`SystemExit`,
/// `KeyboardInterrupt`) or runs out of memory gets a 500, and the process keeps serving, in every
/// mode: a request cannot stop the server.
@Suite struct FaultTests {
    @Test(arguments: [[String](), ["--threads", "2"], ["--workers", "1"]])
    func baseExceptionsAre500AndTheServerGoesOn(mode: [String]) throws {
        let server = try PythonFixtures.serve(["faults_app"] + mode)
        for path in ["/memory", "/exit", "/interrupt", "/exit-in-body"] {
            #expect(try get(server, path).status == 500, "\(path)")
            #expect(try get(server, "/").bodyText == "ok", "after \(path)")
        }
        #expect(server.waitForLog("MemoryError"))
        #expect(server.log.contains("SystemExit"))
        #expect(server.log.contains("KeyboardInterrupt"))
        #expect(!server.log.contains("worker died"))
    }
}
