import Foundation
import Glibc
import Logging
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing
import TestSupport
import WSGIServer

/// Graceful shutdown, the Service conformance, and supervised worker processes.
@Suite struct LifecycleTests {
    @Test func sigtermLetsTheInFlightResponseFinish() throws {
        let demo = try ServerProcess(["--app", "echo", "--bind", "127.0.0.1:0"])
        let client = try RawClient(port: demo.port)
        try client.send("GET /stream?n=5&size=3&delay_ms=150 HTTP/1.1\r\nHost: x\r\n\r\n")
        try client.receiveSome()  // the head and first chunk are out
        demo.signal(SIGTERM)
        let response = try client.readResponse(timeout: 10)
        #expect(response.body == Array("xxxxxxxxxxxxxxx".utf8))
        #expect(response.header("Connection") == "close" || client.isClosedByPeer())
        #expect(demo.waitForExit() == 0)
    }

    @Test func gracefulShutdownAnswersKeepAliveWithConnectionClose() throws {
        let gate = Gate()
        let started = Counter()
        let server = try TestServer(app: { _, startResponse in
            started.increment()
            gate.wait()
            try startResponse("200 OK", [("Content-Length", "4")])
            return ["done"]
        }, configure: { $0.threads = 1 })
        let client = try server.client()
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(started.wait { $0 == 1 } == 1, "the request is in flight")
        server.server.shutdown(graceful: true)
        // The listener closes: new connections are refused.
        #expect(eventually { (try? RawClient(port: server.port)) == nil })
        gate.open()
        let response = try client.readResponse()
        #expect(response.bodyText == "done")
        #expect(response.header("Connection") == "close")
        #expect(server.waitUntilStopped())
        #expect(server.server.closedCleanly)
    }

    @Test func serviceGroupGracefulShutdownMidRequest() async throws {
        let gate = Gate()
        let started = Counter()
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.threads = 1
        configuration.logger = TestServer.quietLogger()
        let server = try WSGIHTTPServer(configuration: configuration) { _, startResponse in
            started.increment()
            gate.wait()
            try startResponse("200 OK", [("Content-Length", "4")])
            return ["done"]
        }
        let port = server.port
        try await testGracefulShutdown { trigger in
            let group = ServiceGroup(configuration: .init(services: [server], logger: TestServer.quietLogger()))
            try await withThrowingTaskGroup(of: String.self) { tasks in
                tasks.addTask {
                    try await group.run()
                    return "group"
                }
                tasks.addTask {
                    let response = try await onOwnThread {
                        let client = try RawClient(port: port)
                        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                        return try client.readResponse(timeout: 20)
                    }
                    #expect(response.bodyText == "done")
                    #expect(response.header("Connection") == "close")
                    return "client"
                }
                _ = try await onOwnThread { started.wait { $0 >= 1 } }
                trigger.triggerGracefulShutdown()
                // The loop has begun its graceful shutdown once its listener is closed; only then is
                // the response in flight sure to be answered with Connection: close.
                let draining = try await onOwnThread { eventually { (try? RawClient(port: port)) == nil } }
                #expect(draining)
                gate.open()
                var finished: [String] = []
                for try await name in tasks { finished.append(name) }
                #expect(Set(finished) == ["group", "client"])
            }
        }
        #expect(server.state == .stopped)
        #expect(server.closedCleanly)
    }

    @Test func crashedWorkerIsReplacedWhileOthersServe() throws {
        let demo = try ServerProcess(["--app", "echo", "--workers", "2", "--bind", "127.0.0.1:0"], captureLog: true)
        #expect(demo.waitForLog("worker started", count: 2))
        let crash = try RawClient(port: demo.port)
        try crash.send("GET /crash HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(crash.isClosedByPeer())
        for index in 0..<20 {
            let response = try requestOnce(port: demo.port, path: "/after/\(index)")
            #expect(response.status == 200)
        }
        #expect(demo.waitForLog("worker died; starting a replacement"))
        #expect(demo.waitForLog("worker started", count: 3))
        let environ = try #require(JSONSerialization.jsonObject(with: Data(requestOnce(port: demo.port, path: "/").body)) as? [String: Any])
        #expect((environ["environ"] as? [String: String])?["wsgi.url_scheme"] == "http")
        demo.signal(SIGTERM)
        #expect(demo.waitForExit() == 0)
    }

    @Test func aWorkerKilledMidRequestIsReplacedWhileTheOtherServes() throws {
        let demo = try ServerProcess(["--app", "echo", "--workers", "2", "--bind", "127.0.0.1:0"], captureLog: true)
        #expect(demo.waitForLog("worker started", count: 2))
        // A response in progress: 200 chunks, 50 ms apart.
        let victim = try RawClient(port: demo.port)
        try victim.send("GET /stream?n=200&size=10&delay_ms=50 HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try victim.receiveSome()
        let worker = try #require(Self.worker(serving: victim, master: demo.process.processIdentifier))
        kill(worker, SIGKILL)
        // The client sees its response cut (no terminating chunk), the rest of the service goes on.
        var received: [UInt8] = []
        while let data = try? victim.receiveSome(timeout: 5), !data.isEmpty { received += data }
        #expect(!String(decoding: received, as: UTF8.self).hasSuffix("0\r\n\r\n"))
        for index in 0..<20 {
            #expect(try requestOnce(port: demo.port, path: "/after/\(index)").status == 200)
        }
        #expect(demo.waitForLog("worker died; starting a replacement"))
        #expect(demo.waitForLog("worker started", count: 3))
        demo.signal(SIGTERM)
        #expect(demo.waitForExit() == 0)
    }

    /// The worker (a child of `master`) holding the server's end of `client`'s connection, found
    /// through /proc: the socket whose remote port is the client's port, among the workers' files.
    static func worker(serving client: RawClient, master: Int32) -> Int32? {
        let port = String(client.localPort, radix: 16, uppercase: true)
        let suffix = ":" + String(repeating: "0", count: max(0, 4 - port.count)) + port
        // Read to the end: /proc files report no size, and a one-page read would cut the table.
        guard let table = FileHandle(forReadingAtPath: "/proc/net/tcp").flatMap({ String(decoding: $0.readDataToEndOfFile(), as: UTF8.self) }),
              let row = table.split(separator: "\n").map({ $0.split(separator: " ") }).first(where: { $0.count > 9 && $0[2].hasSuffix(suffix) }),
              let threads = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(master)/task") else { return nil }
        let socket = "socket:[\(row[9])]"
        // Children are listed under the thread that started them.
        let children = threads.flatMap { thread in
            ((try? String(contentsOfFile: "/proc/\(master)/task/\(thread)/children", encoding: .utf8)) ?? "").split(separator: " ").compactMap { Int32($0) }
        }
        for pid in children {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
            if files.contains(where: { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)")) == socket }) {
                return pid
            }
        }
        return nil
    }

    @Test func reloadUnderLoadLosesNoRequest() throws {
        let demo = try ServerProcess(["--app", "hello", "--workers", "2", "--bind", "127.0.0.1:0"], captureLog: true)
        #expect(demo.waitForLog("worker started", count: 2))
        let failures = Counter()
        let successes = Counter()
        let stop = Gate()
        let stopped = Gate()
        let port = demo.port
        let load = Thread {
            while !stop.wait(timeout: 0) {
                if let response = try? Self.requestOnce(port: port, path: "/"), response.bodyText == "Index" {
                    successes.increment()
                } else {
                    failures.increment()
                }
            }
            stopped.open()
        }
        load.start()
        successes.wait { $0 >= 50 }
        demo.signal(SIGHUP)
        #expect(demo.waitForLog("worker retired", count: 2))
        let before = successes.count
        successes.wait { $0 >= before + 50 }
        stop.open()
        #expect(stopped.wait(), "the load thread finished its last request")
        #expect(failures.count == 0)
        #expect(demo.waitForLog("worker started", count: 4))
        demo.signal(SIGTERM)
        #expect(demo.waitForExit() == 0)
    }

    /// The master's error log read through a pipe whose reader went away (`... 2>&1 | head`): its
    /// next records get EPIPE, not a SIGPIPE that would kill it and orphan the workers.
    @Test func theMasterOutlivesItsLogReader() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServerProcess.binaryPath())
        process.arguments = ["--app", "hello", "--workers", "1", "--bind", "127.0.0.1:0"]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        let port = try #require(line.split(separator: ":").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        try errors.fileHandleForReading.close()
        let master = process.processIdentifier
        let firstWorkers = ProcessTree.children(of: master)
        #expect(!firstWorkers.isEmpty)
        // A reload makes the master log into the closed pipe; it is over (and those records were
        // written) once none of the first workers is left.
        kill(master, SIGHUP)
        #expect(eventually(timeout: 20) {
            let workers = ProcessTree.children(of: master)
            return !workers.isEmpty && workers.isDisjoint(with: firstWorkers)
        })
        #expect(try Self.requestOnce(port: port, path: "/").bodyText == "Index")
        kill(master, SIGTERM)
        #expect(process.waitForExit() == 0)
    }


    @Test func workersAreRecycledAfterMaxRequests() throws {
        let demo = try ServerProcess(["--app", "hello", "--workers", "1", "--max-requests", "5", "--bind", "127.0.0.1:0"], captureLog: true)
        // A recycling worker still answers connections it had accepted, so it may serve a few
        // more than its budget; every request is answered either way.
        for _ in 0..<40 { #expect(try requestOnce(port: demo.port, path: "/").bodyText == "Index") }
        #expect(demo.waitForLog("worker recycled", count: 3))
        demo.signal(SIGTERM)
        #expect(demo.waitForExit() == 0)
    }

    @Test func stuckWorkerIsKilledAndReplaced() throws {
        // echo's /stream sleeps between chunks on the loop thread: the heartbeat stops. (Two
        // seconds of timeout: a replacement worker starting on a loaded machine, or under a
        // sanitizer, must not miss its own first beats.)
        let demo = try ServerProcess(["--app", "echo", "--workers", "1", "--timeout", "2", "--bind", "127.0.0.1:0"], captureLog: true)
        let stuck = try RawClient(port: demo.port)
        try stuck.send("GET /stream?n=2&delay_ms=10000 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(demo.waitForLog("worker timeout", timeout: 10))
        #expect(try requestOnce(port: demo.port, path: "/fine", timeout: 10).status == 200)
        demo.signal(SIGINT)
        #expect(demo.waitForExit() == 0)
    }

    /// One request on its own connection (so a draining worker never holds it idle).
    private func requestOnce(port: Int, path: String, timeout: Double = 5) throws -> HTTPResponse {
        try Self.requestOnce(port: port, path: path, timeout: timeout)
    }

    private static func requestOnce(port: Int, path: String, timeout: Double = 5) throws -> HTTPResponse {
        let client = try RawClient(port: port)
        try client.send("GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return try client.readResponse(timeout: timeout)
    }
}
