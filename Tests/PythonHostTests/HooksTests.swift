import Foundation
import Glibc
import Testing
import TestSupport

/// gunicorn's server hooks from a `-c` file, in `swift-wsgi`'s own interpreter: each is called
/// where gunicorn calls it, with gunicorn's arguments; `post_fork` calling `gc.freeze()` (the
/// preload recipe) reaches the application's worker; a hook that raises is logged and serving
/// goes on.
@Suite struct HooksTests {
    @Test func everyHookWhereGunicornCallsIt() throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("swift-wsgi-hooks-\(UUID().uuidString.prefix(8)).log").path
        defer { unlink(log) }
        let config = PythonFixtures.directory + "/hooks.conf.py"
        let server = try PythonFixtures.serve(["hooks_app", "-c", config], environment: ["HOOKS_LOG": log])
        let frozen = try get(server, "/page?x=1").bodyText
        #expect((Int(frozen) ?? 0) > 0, "post_fork's gc.freeze() ran in the worker: \(frozen)")
        #expect(server.waitForLog("post_worker_init ran"), "worker.log writes the server's log")

        server.signal(SIGHUP)
        #expect(server.waitForLog("hook on_reload raised; serving goes on"), "\(server.log)")
        #expect(server.waitForLog("draining the old ones"), "\(server.log)")
        #expect(try get(server, "/").status == 200, "the master goes on after a hook raised")
        server.signal(SIGTERM)
        #expect(server.waitForExit(timeout: 20) == 0, "\(server.log)")

        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        for expected in [
            "on_starting True 1", "nworkers_changed 1 None", "pre_fork 1 None", "post_fork 1 True True", "post_worker_init 1 True",
            "pre_request 1 GET /page x=1", "post_request /page 200 \(frozen.utf8.count)", "when_ready", "on_reload", "pre_fork 2 None",
            "post_fork 2 True True", "worker_exit 1", "child_exit 1 True", "worker_exit 2", "child_exit 2 True", "on_exit",
        ] {
            #expect(lines.contains(expected), "\(expected) in \(lines)")
        }
        // In each process, in gunicorn's order.
        func position(_ line: String) -> Int { lines.firstIndex(of: line) ?? -1 }
        #expect(position("on_starting True 1") < position("pre_fork 1 None"))
        #expect(position("pre_fork 1 None") < position("post_fork 1 True True"))
        #expect(position("post_fork 1 True True") < position("post_worker_init 1 True"))
        #expect(position("pre_request 1 GET /page x=1") < position("post_request /page 200 \(frozen.utf8.count)"))
        #expect(position("worker_exit 1") < position("child_exit 1 True"))
        #expect(lines.last == "on_exit", "\(lines)")
    }

    /// `worker_int` after a stop at once (SIGINT); a server without workers is its own master.
    @Test func withoutWorkersAndStoppedAtOnce() throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("swift-wsgi-hooks-\(UUID().uuidString.prefix(8)).log").path
        defer { unlink(log) }
        let server = try PythonFixtures.serve(["hooks_app", "-c", PythonFixtures.directory + "/hooks.conf.py", "--workers", "0"], environment: ["HOOKS_LOG": log])
        #expect(try get(server, "/").status == 200)
        server.signal(SIGINT)
        #expect(server.waitForExit(timeout: 20) == 0, "\(server.log)")
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.first == "on_starting True 1", "\(lines)")
        for expected in ["post_worker_init 1 True", "when_ready", "pre_request 1 GET / ", "worker_int 1", "worker_exit 1", "on_exit"] {
            #expect(lines.contains(expected), "\(expected) in \(lines)")
        }
        #expect(!lines.contains { $0.hasPrefix("pre_fork") || $0.hasPrefix("post_fork") })
    }

    /// With `--preload`, the forked worker's hooks see that worker (`post_fork` after the fork,
    /// the request hooks with its own age).
    @Test func withPreload() throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("swift-wsgi-hooks-\(UUID().uuidString.prefix(8)).log").path
        defer { unlink(log) }
        let server = try PythonFixtures.serve(["hooks_app", "-c", PythonFixtures.directory + "/hooks.conf.py", "--preload"], environment: ["HOOKS_LOG": log])
        #expect(try get(server, "/p").status == 200)
        server.signal(SIGTERM)
        #expect(server.waitForExit(timeout: 20) == 0, "\(server.log)")
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        for expected in ["pre_fork 1 None", "post_fork 1 True True", "post_worker_init 1 True", "pre_request 1 GET /p ", "worker_exit 1", "child_exit 1 True", "on_exit"] {
            #expect(lines.contains(expected), "\(expected) in \(lines)")
        }
        #expect(lines.contains { $0.hasPrefix("post_request /p 200 ") }, "\(lines)")
        #expect(server.log.contains("worker forked master_threads=1"), "\(server.log)")
    }
}
