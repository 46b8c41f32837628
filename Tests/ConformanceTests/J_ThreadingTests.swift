import Foundation
import Glibc
import Testing
import TestSupport
import WSGIServer

/// Checklist J: threading, extensions and configuration (PEP 3333 "Thread Support", "Server
/// Extension APIs").
@Suite struct ThreadingTests {
    // MARK: S71

    @Test func S71_singleThreadedExecutionIsAvailable() throws {
        let threads = Shared<Set<UInt>>([])
        let concurrent = Counter()
        let running = Shared(0)
        let harness = try Harness(threads: 0, app: { environ, startResponse in
            threads.update { $0.insert(UInt(bitPattern: Int(bitPattern: pthread_self()))) }
            running.update { inside in
                inside += 1
                if inside > 1 { concurrent.increment() }
            }
            usleep(1_000)
            defer { running.update { $0 -= 1 } }
            #expect(environ.multithread == false)
            try startResponse("200 OK", [("Content-Length", "2")])
            return ["ok"]
        })
        // Several clients at once, several requests each.
        let clients = try (0..<4).map { _ in try harness.client() }
        for _ in 0..<5 {
            for client in clients { try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n") }
            for client in clients { #expect(try client.readResponse().bodyText == "ok") }
        }
        harness.finish()
        #expect(threads.value.count == 1, "the application ran on \(threads.value.count) threads")
        #expect(concurrent.count == 0)
    }

    @Test func S71_aThreadPoolRunsTheApplicationConcurrently() throws {
        // The other mode, for contrast: with threads > 0 two requests overlap in the application.
        let bothInside = Gate()
        let inside = Counter()
        let overlapped = Shared(false)
        let harness = try Harness(threads: 2, app: { environ, startResponse in
            #expect(environ.multithread == true)
            if inside.increment() == 2 { bothInside.open(); bothInside.open() }
            let met = bothInside.wait(timeout: 5)
            overlapped.update { $0 = $0 || met }
            try startResponse("200 OK", [("Content-Length", "2")])
            return ["ok"]
        })
        let first = try harness.client()
        let second = try harness.client()
        try first.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        try second.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        #expect(try first.readResponse().bodyText == "ok")
        #expect(try second.readResponse().bodyText == "ok")
        harness.finish()
        #expect(overlapped.value)
    }

    // MARK: S72

    @Test func S72_theFileWrapperExtensionIsReachedOnlyThroughTheEnviron() throws {
        // The one extension API (wsgi.file_wrapper) replaces iteration and is used through what it
        // replaces: the body the application returns. It is found only in the environ, so a
        // middleware that removes it is obeyed, and the application's fallback is served.
        let path = try FileWrapperTests.temporaryFile()
        defer { unlink(path) }
        let reads = Counter()
        let usedExtension = Shared<Bool?>(nil)
        let inner: Application = { environ, startResponse in
            let file = try FileWrapperTests.CountingFile(path: path, reads: reads, closes: Counter())
            try startResponse("200 OK", [("Content-Type", "text/plain")])
            usedExtension.value = environ.fileWrapper != nil
            if let factory = environ.fileWrapper { return factory(file) }
            return ResponseBody(next: {
                let block = try file.read(100)
                return block.isEmpty ? nil : block
            }, close: { file.close() })
        }
        let harness = try Harness(app: { environ, startResponse in
            var environ = environ
            environ.fileWrapper = nil  // a middleware that hides the extension
            return try inner(environ, startResponse)
        })
        #expect(try harness.get("/").body == FileWrapperTests.content)
        harness.finish()
        #expect(usedExtension.value == false)
        #expect(reads.count == 4)  // 100, 100, 60, end
        // The only callable the server puts in the environ is wsgi.file_wrapper.
        let log = EnvironLog()
        let plain = try Harness(app: log.app())
        _ = try plain.get("/")
        plain.finish()
        let environ = try #require(log.last)
        let callables = environ.keys.filter { key in
            switch environ[value: key] {
            case .fileWrapper?, .other?: return true
            default: return false
            }
        }
        #expect(callables == ["wsgi.file_wrapper"])
    }
}
