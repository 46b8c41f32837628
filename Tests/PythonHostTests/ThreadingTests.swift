import Foundation
import Glibc
import Testing
import TestSupport

/// The GIL and threads: `--threads` runs requests at once (one thread state per thread for its
/// life), the loop goes on serving meanwhile, and the application's own threads run while the
/// server idles (the loop thread gives the GIL back before it waits).
@Suite struct ThreadingTests {
    @Test func eightRequestsRunAtOnceWithEightThreads() throws {
        let server = try PythonFixtures.serve(["threads_app", "--threads", "8"])
        // Seven requests wait at a barrier of eight: they can only finish together with an eighth.
        let waiting = try (0..<7).map { _ in
            let client = try RawClient(port: server.port)
            try client.send("GET /barrier HTTP/1.1\r\nHost: x\r\n\r\n")
            return client
        }
        #expect(eventually(timeout: 30) { (try? get(server, "/waiting").bodyText) == "7" })
        // All threads but one are busy in Python, and the loop still answers by itself.
        let bad = try exchange(server, "BROKEN\r\n\r\n")
        #expect(bad.status == 400)
        let last = try RawClient(port: server.port)
        try last.send("GET /barrier HTTP/1.1\r\nHost: x\r\n\r\n")
        for client in waiting + [last] {
            #expect(try client.readResponse(timeout: 30).bodyText == "passed")
        }
    }

    @Test(arguments: [[String](), ["--threads", "2"]])
    func anApplicationThreadRunsWhileTheServerIdles(extra: [String]) throws {
        let server = try PythonFixtures.serve(["threads_app"] + extra)
        let mark = temporaryPath("ticker")
        defer { unlink(mark) }
        #expect(try get(server, "/start-thread?mark=\(mark)").bodyText == "started")
        // No more requests: only an idle server that gave the GIL back lets the thread write.
        #expect(eventually(timeout: 20) { access(mark, F_OK) == 0 })
    }

    @Test func threadedResponsesStreamAndClose() throws {
        let server = try PythonFixtures.serve(["wsgi_checks", "--threads", "4"])
        for _ in 0..<20 {
            #expect(try get(server, "/stream?n=4").bodyText == "chunk0\nchunk1\nchunk2\nchunk3\n")
        }
        #expect(try get(server, "/write").bodyText == "one two three")
        #expect(try get(server, "/closed").bodyText == "20")
        let mark = try abandonEndlessStream(server)
        defer { unlink(mark) }
        #expect(eventually { marked(mark) })
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
    }

    @Test func sigintInterruptsPythonOnAnApplicationThread() throws {
        let server = try PythonFixtures.serve(["wsgi_checks", "--threads", "2"])
        let (_, mark) = try requestMarking(server, "/spin")
        defer { unlink(mark) }
        #expect(eventually(timeout: 20) { marked(mark) })
        server.signal(SIGINT)
        #expect(server.waitForExit(timeout: 20) == 0)
    }
}
