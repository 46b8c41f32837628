import Foundation
import Glibc
import Testing
import TestSupport

/// Reference counting across the Swift/C/Python boundary, measured from the application's side: a
/// leak of one object per request shows as growth of the live object count (`gc.get_objects()`,
/// since CPython's release build has no total reference count) or of the resident memory.
@Suite struct SoakTests {
    @Test(arguments: [[String](), ["--threads", "2"]])
    func manyRequestsLeaveNoObjectsBehind(extra: [String]) throws {
        let server = try PythonFixtures.serve(["wsgi_checks"] + extra)
        let client = try RawClient(port: server.port)
        let paths = ["/", "/stream?n=3", "/write", "/lazy", "/filelike", "/environ"]
        func round(_ count: Int) throws {
            for index in 0..<count {
                try client.send("GET \(paths[index % paths.count]) HTTP/1.1\r\nHost: x\r\n\r\n")
                _ = try client.readResponse()
            }
        }
        func objects() throws -> Int {
            try client.send("GET /objects HTTP/1.1\r\nHost: x\r\n\r\n")
            return Int(try client.readResponse().bodyText) ?? -1
        }
        try round(5_000)  // warm-up: caches, pools, lazily made objects
        let objectsBefore = try objects()
        let memoryBefore = try ProcessMemory.residentKiB(pid: server.process.processIdentifier)
        try round(100_000)
        let objectsAfter = try objects()
        let memoryAfter = try ProcessMemory.residentKiB(pid: server.process.processIdentifier)
        // A leak of one object per request would be 100 000 more; allow a little noise.
        #expect(objectsAfter - objectsBefore < 200, "objects \(objectsBefore) -> \(objectsAfter)")
        #expect(!ProcessMemory.isMeaningful || memoryAfter - memoryBefore < 4096, "RSS \(memoryBefore) KiB -> \(memoryAfter) KiB")
    }
}
