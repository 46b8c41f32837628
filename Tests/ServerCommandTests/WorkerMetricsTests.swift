import CoreMetrics
import Foundation
import Testing
@testable import Supervisor

/// The worker metrics protocol in memory: frames split anywhere by the pipe, and the master's sums
/// (a worker's counters outlive it, its gauges do not).
struct WorkerMetricsTests {
    @Test func framesAreReadWhateverTheSplit() throws {
        let payload = "c wsgi_requests_total{status=\"2xx\"} 7\n"
        let stream = [WorkerMetricsFrame.beat] + (try #require(WorkerMetricsFrame.encode(payload))) + [WorkerMetricsFrame.beat]
        for split in 0...stream.count {
            var reader = WorkerMetricsFrame.Reader()
            var frames: [String?] = []
            for part in [stream[..<split], stream[split...]] {
                Array(part).withUnsafeBytes { reader.receive($0) { frames.append($0) } }
            }
            #expect(frames == [nil, payload, nil], "split at \(split)")
        }
        #expect(WorkerMetricsFrame.encode(String(repeating: "x", count: WorkerMetricsFrame.maxPayload + 1)) == nil)
    }

    @Test func countersOutliveTheirWorkerAndGaugesDoNot() {
        let board = WorkerMetricsBoard()
        let factory = WorkerMetricsFactory()
        let requests = Counter(label: "wsgi_requests_total", dimensions: [("status", "2xx")], factory: factory)
        let connections = Meter(label: "wsgi_active_connections", factory: factory)
        let duration = Timer(label: "wsgi_request_duration_seconds", factory: factory)
        requests.increment(by: 3)
        connections.set(2)
        duration.recordNanoseconds(3_000_000)
        board.record(factory.snapshot(), from: 10)
        board.record("c wsgi_requests_total{status=\"2xx\"} 4\ng wsgi_active_connections 1\n", from: 11)
        var text = board.render()
        #expect(text.contains("wsgi_requests_total{status=\"2xx\"} 7\n"), "\(text)")
        #expect(text.contains("wsgi_active_connections 3\n"))
        #expect(text.contains("wsgi_worker_requests_total{status=\"2xx\",worker=\"10\"} 3\n"))
        #expect(text.contains("wsgi_request_duration_seconds_bucket{le=\"0.0025\"} 0\nwsgi_request_duration_seconds_bucket{le=\"0.005\"} 1\n"), "\(text)")
        #expect(text.contains("wsgi_request_duration_seconds_bucket{le=\"+Inf\"} 1\nwsgi_request_duration_seconds_count 1\n"), "\(text)")

        board.workerExited(10, restart: .memory)
        text = board.render()
        #expect(text.contains("wsgi_requests_total{status=\"2xx\"} 7\n"), "\(text)")
        #expect(text.contains("wsgi_active_connections 1\n"), "\(text)")
        #expect(!text.contains("worker=\"10\""))
        #expect(text.contains("wsgi_worker_restarts_total{reason=\"memory\"} 1\n"))
        #expect(text.contains("wsgi_request_duration_seconds_count 1\n"), "a histogram outlives its worker too")
    }
}

/// What `--preload`'s master checks before each fork, on processes whose threads are known: a
/// program of one thread, then one that starts a second.
struct ProcessThreadsTests {
    @Test func countsTheThreadsOfAProcess() throws {
        let single = try Self.start("import time; time.sleep(30)")
        defer { single.terminate() }
        let double = try Self.start("import threading, time; threading.Thread(target=time.sleep, args=(30,)).start(); print('started', flush=True); time.sleep(30)")
        defer { double.terminate() }
        #expect(Self.eventually { ProcessThreads.count(ofProcess: single.processIdentifier) == 1 })
        #expect(Self.eventually { ProcessThreads.count(ofProcess: double.processIdentifier) == 2 })
        #expect(ProcessThreads.count(ofProcess: -1) == 0, "an unreadable process counts 0, which never allows a fork")
        #expect(ProcessThreads.count() >= 1)
    }

    private static func start(_ code: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", code]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Polls until `condition` holds (the interpreter starting its thread); false after 10 s.
    private static func eventually(_ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while !condition() {
            if Date() >= deadline { return false }
            usleep(10_000)
        }
        return true
    }
}
