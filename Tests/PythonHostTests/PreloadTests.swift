import Foundation
import Glibc
import Testing
import TestSupport

/// `--preload`: the master imports the application once and forks its workers, alone at each
/// fork (the log says how many threads it had: one); replacements are forked from it too.
@Suite struct PreloadTests {
    @Test func workersAreForkedFromTheMasterThatImportedTheApplication() throws {
        let server = try PythonFixtures.serve(["preload_app", "--workers", "2", "--preload", "--max-requests", "2"])
        var workers = Set<Int>()
        for _ in 0..<6 {
            let answer = try jsonObject(try exchange(server, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
            let pid = try #require(answer["pid"] as? Int)
            #expect(answer["imported_by"] as? Int == server.pid, "imported once, by the master \(server.pid): \(answer)")
            #expect(pid != server.pid)
            #expect((answer["frozen"] as? Int ?? 0) > 0, "gc.freeze() before the fork: \(answer)")
            workers.insert(pid)
        }
        #expect(workers.count >= 3, "recycled workers were forked again: \(workers)")
        let forks = server.log.components(separatedBy: "worker forked master_threads=1").count - 1
        #expect(forks >= 3, "\(server.log)")
        #expect(!server.log.contains("the master has other threads"), "\(server.log)")
        server.signal(SIGTERM)
        #expect(server.waitForExit(timeout: 20) == 0, "\(server.log)")
    }

    @Test func withoutPreloadEachWorkerImportsItself() throws {
        let server = try PythonFixtures.serve(["preload_app", "--workers", "1"])
        let answer = try jsonObject(try get(server, "/"))
        #expect(answer["imported_by"] as? Int == answer["pid"] as? Int, "\(answer)")
    }

    @Test func preloadAppInAConfigFileAndWhatItCannotBeCombinedWith() throws {
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("swift-wsgi-\(UUID().uuidString.prefix(8)).conf.py").path
        defer { unlink(config) }
        try "preload_app = True\nworkers = 1\n".write(toFile: config, atomically: true, encoding: .utf8)
        let server = try PythonFixtures.serve(["preload_app", "-c", config])
        #expect(try jsonObject(try get(server, "/"))["imported_by"] as? Int == server.pid)

        let refused = try PythonFixtures.run(["preload_app", "--preload", "--reload"])
        #expect(refused.status == 2 && refused.errors.contains("--reload imports the application again"), "\(refused.errors)")
    }
}
