import Foundation
import Glibc
import Testing
import TestSupport

/// Bodies from Python generators go out one chunk at a time, from the `bytes` objects themselves:
/// memory stays flat however long the body, and a client that stops reading stops the pulling.
@Suite struct StreamingTests {
    @Test(arguments: [[String](), ["--threads", "2"]])
    func aLongBodyStreamsWithFlatMemory(extra: [String]) throws {
        let server = try PythonFixtures.serve(["wsgi_checks"] + extra)
        let pid = server.process.processIdentifier
        #expect(try get(server, "/").bodyText == "checks")
        let before = try ProcessMemory.residentKiB(pid: pid)
        let count = 4096  // 256 MiB in 64 KiB chunks
        let client = try RawClient(port: server.port, receiveBuffer: 256 * 1024)
        try client.send("GET /big?n=\(count) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        var received = 0
        while true {
            let data = try client.receiveSome(max: 1 << 20, timeout: 30)
            if data.isEmpty { break }
            received += data.count
        }
        #expect(received > count * 65536)  // the body and its head
        let peak = try ProcessMemory.residentKiB(pid: pid, peak: true)
        #expect(!ProcessMemory.isMeaningful || peak - before < 16 * 1024, "peak RSS \(peak) KiB after \(before) KiB")
    }

    /// The legacy `write()` on the loop thread waits for the client instead of buffering: 1 GiB
    /// written to a client that first reads nothing, then reads it all, with flat memory.
    @Test func writeToAClientThatReadsNothingWaitsWithFlatMemory() throws {
        let server = try PythonFixtures.serve(["wsgi_checks"])
        let pid = server.process.processIdentifier
        #expect(try get(server, "/").bodyText == "checks")
        let before = try ProcessMemory.residentKiB(pid: pid)
        let count = 16384  // 1 GiB in 64 KiB writes
        let (client, file) = try requestReportingProgress(server, "/write-big?n=\(count)")
        defer { unlink(file) }
        // The application writes until the socket buffers are full, then its write() waits for the
        // client: seen at one moment when the file says a write() was entered and not left, and
        // the thread that entered it sleeps in poll(2) (the wait for writability; nothing else in
        // write() polls).
        var blockedAt = -1
        let blocked = try eventually(timeout: 20) {
            guard let entered = progress(file), entered.words.first == "entered",
                  try ThreadState(pid: pid, thread: entered.thread).syscall == ThreadState.poll,
                  let still = progress(file), still.words == entered.words else { return false }
            blockedAt = Int(entered.words[1]) ?? -1
            return true
        }
        #expect(blocked, "the application's write() never waited for the client")
        #expect(blockedAt >= 0 && blockedAt < 1024, "write() number \(blockedAt) waited for a client that reads nothing")
        let waiting = try ProcessMemory.residentKiB(pid: pid)
        #expect(!ProcessMemory.isMeaningful || waiting - before < 16 * 1024, "RSS \(waiting) KiB while waiting, after \(before) KiB")
        // Now the client reads: every byte arrives, and memory never grew.
        var received = 0
        while received <= count * 65536 {  // the body and its head
            let data = try client.receiveSome(max: 1 << 20, timeout: 30)
            if data.isEmpty { break }
            received += data.count
        }
        #expect(received > count * 65536)
        let peak = try ProcessMemory.residentKiB(pid: pid, peak: true)
        #expect(!ProcessMemory.isMeaningful || peak - before < 16 * 1024, "peak RSS \(peak) KiB after \(before) KiB")
    }

    /// With application threads, and in workers without them, `wsgi.input` streams: a large
    /// upload (1 GiB, or `SWIFT_WSGI_UPLOAD_GIB`) passes through an application that hashes it as
    /// it arrives, with flat memory and nothing spooled. A worker's short `--timeout` does not
    /// end it: waiting for the client is not being stuck.
    @Test(arguments: [["--threads", "2"], ["--workers", "1", "--timeout", "1"]])
    func aLargeUploadStreamsThroughAHashingApplication(mode: [String]) throws {
        let gibibytes = Int(ProcessInfo.processInfo.environment["SWIFT_WSGI_UPLOAD_GIB"] ?? "") ?? 1
        let blocks = gibibytes * 16384
        let server = try PythonFixtures.serve(["wsgi_checks"] + mode)
        #expect(try get(server, "/").bodyText == "checks")
        // The process running the application: the worker, with workers.
        let master = server.process.processIdentifier
        let pid = mode[0] == "--workers" ? try #require(ProcessTree.children(of: master).first) : master
        let before = try ProcessMemory.residentKiB(pid: pid)
        let block = (0..<65536).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        let client = try RawClient(port: server.port)
        try client.send("POST /hash HTTP/1.1\r\nHost: x\r\nContent-Length: \(blocks * block.count)\r\n\r\n")
        for _ in 0..<blocks { try client.send(block) }
        let response = try client.readResponse(timeout: 60)
        let expected = try Self.crc32(ofBlocks: blocks)
        #expect(response.bodyText == "\(blocks * block.count) \(expected)")
        let peak = try ProcessMemory.residentKiB(pid: pid, peak: true)
        #expect(!ProcessMemory.isMeaningful || peak - before < 16 * 1024, "peak RSS \(peak) KiB after \(before) KiB")
    }

    /// The CRC-32 of `count` copies of the test's 64 KiB block, from Python's zlib.
    static func crc32(ofBlocks count: Int) throws -> String {
        let script = "import zlib\nb = bytes((i * 31 + (i >> 8)) & 255 for i in range(65536))\nc = 0\nfor _ in range(\(count)):\n    c = zlib.crc32(b, c)\nprint(c)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        _ = process.waitForExit()
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func aClientThatReadsNothingStopsThePulling() throws {
        let server = try PythonFixtures.serve(["wsgi_checks"])
        let pid = server.process.processIdentifier
        let (client, file) = try requestReportingProgress(server, "/forever?size=65536")
        defer { unlink(file) }
        // The generator runs until the socket buffers are full, then the loop stops pulling: seen
        // when the loop thread (the one the generator runs on) sleeps in epoll_wait(2) and was not
        // woken between two looks (its count of voluntary switches did not move) while the
        // generator's count stayed put. A loop still writing is woken by every write completion.
        var pulled = -1
        let stopped = try eventually(timeout: 20) {
            guard let first = progress(file) else { return false }
            let state = try ThreadState(pid: pid, thread: first.thread)
            guard state.syscall == ThreadState.epollWait || state.syscall == ThreadState.epollPwait else { return false }
            usleep(50_000)
            guard try ThreadState(pid: pid, thread: first.thread) == state, let again = progress(file), again.words == first.words else { return false }
            pulled = Int(first.words.last ?? "") ?? -1
            return true
        }
        #expect(stopped, "the loop never stopped pulling")
        // What the kernel buffers hold, not the 64 KiB chunks of an unbounded loop.
        #expect(pulled > 0 && pulled * 65536 < 64 << 20, "\(pulled) chunks pulled")
        withExtendedLifetime(client) {}
    }
}
