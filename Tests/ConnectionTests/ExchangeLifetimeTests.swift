import Synchronization
import Testing
import TestSupport
import UVLoop
import WSGI
@testable import ConnectionHarness
@testable import HTTPServerCore

/// `close()` exactly once on every path, objects reused between requests, and zero-copy bodies.
@Suite struct ExchangeLifetimeTests {
    /// An application whose body counts its `close()` calls.
    static func counting(_ closes: Counter, chunks: Int = 1, length: Int? = nil) -> Application {
        { _, startResponse in
            var headers: ResponseHeaders = []
            if let length { headers.append(("Content-Length", String(length))) }
            try startResponse("200 OK", headers)
            var left = chunks
            return ResponseBody(next: {
                left -= 1
                return left >= 0 ? "x" : nil
            }, close: { closes.increment() })
        }
    }

    @Test func closeRunsOnceAfterANormalEnd() throws {
        let closes = Counter()
        let client = try MemoryConnection(app: Self.counting(closes, chunks: 3))
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.response().bodyText == "xxx")
        #expect(closes.count == 1)
    }

    @Test func closeRunsOnceWhenTheClientGoesAwayMidResponse() throws {
        let closes = Counter()
        let client = try MemoryConnection(app: Self.counting(closes, chunks: 100))
        client.transport.acceptsWrites = false
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(closes.count == 0)
        client.connection.readFailed(UVErrorForTests.reset)
        client.transport.runEvents()
        #expect(closes.count == 1)
        #expect(client.closeCallbacks == 1)
    }

    @Test func closeRunsOnceWhenTheContentLengthIsReached() throws {
        let closes = Counter()
        let client = try MemoryConnection(app: Self.counting(closes, chunks: 5, length: 2))
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.response().bodyText == "xx")
        #expect(closes.count == 1)
    }

    @Test func aRequestThatNeverFinishedArrivingNeverRunsTheApplication() throws {
        let called = Counter()
        let client = try MemoryConnection(app: { _, startResponse in
            called.increment()
            try startResponse("200 OK", [])
            return []
        })
        client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        client.sendEOF()
        #expect(called.count == 0, "the application never ran")
        #expect(client.transport.isClosed)
    }

    @Test func anEnvironKeptByTheApplicationStaysItsRequest() throws {
        let kept = Mutex<[Environ]>([])
        let client = try MemoryConnection(app: { environ, startResponse in
            kept.withLock { $0.append(environ) }
            try startResponse("200 OK", [("Content-Length", "0")])
            return []
        })
        client.send("GET /first?q=1 HTTP/1.1\r\nHost: one\r\n\r\n")
        client.send("GET /second HTTP/1.1\r\nHost: two\r\nX-Extra: yes\r\n\r\n")
        let environs = kept.withLock { $0 }
        #expect(environs.map { $0["PATH_INFO"] } == ["/first", "/second"])
        #expect(environs.map { $0["HTTP_HOST"] } == ["one", "two"])
        #expect(environs[0]["QUERY_STRING"] == "q=1")
        #expect(environs[0]["HTTP_X_EXTRA"] == nil)
        // The environs lead back to the application that keeps them: break the cycle.
        kept.withLock { $0.removeAll() }
    }

    @Test func aStartResponseKeptByTheApplicationDoesNotReachTheNextRequest() throws {
        let kept = KeptStartResponse()
        let client = try MemoryConnection(app: { environ, startResponse in
            if let first = kept.value {
                // The first request's start_response: its response is over.
                #expect(throws: (any Error).self) { try first("200 OK", []) }
            }
            kept.value = startResponse
            try startResponse("200 OK", [("Content-Length", "2")])
            return ["ok"]
        })
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.responses().map(\.bodyText) == ["ok", "ok"])
        // The start_response leads back to the application that keeps it: break the cycle.
        kept.value = nil
    }

    @Test func aForeignBufferIsWrittenWhereItLiesAndReleasedOnceAfterTheWrite() throws {
        let released = Counter()
        let address = Mutex<UInt>(0)
        let size = 64 * 1024
        let client = try MemoryConnection(app: { _, startResponse in
            try startResponse("200 OK", [("Content-Length", String(size))])
            let owner = CountingOwner(size: size, released: released)
            address.withLock { $0 = UInt(bitPattern: owner.memory) }
            return [Bytes(borrowing: owner.memory, count: size, owner: owner)]
        })
        client.transport.acceptsWrites = false
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let foreign = UnsafeRawPointer(bitPattern: address.withLock { $0 })
        #expect(client.transport.writtenAddresses.contains { $0 == foreign }, "written from where it lies: no copy")
        #expect(released.count == 0, "the write is still queued: the owner is kept")
        client.transport.drain()
        #expect(released.count == 1)
        let response = try client.response()
        #expect(response.body.count == size && response.body.allSatisfy { $0 == 0x61 })
    }
}

/// Stands for foreign memory (a Python `bytes`): frees it, and counts, when released.
private final class CountingOwner: ByteOwner, @unchecked Sendable {
    // @unchecked: the memory is written in init, before the owner is shared, and freed only in deinit.
    let memory: UnsafeMutableRawPointer
    let released: Counter

    init(size: Int, released: Counter) {
        memory = .allocate(byteCount: size, alignment: 16)
        memory.initializeMemory(as: UInt8.self, repeating: 0x61, count: size)
        self.released = released
    }

    deinit {
        released.increment()
        memory.deallocate()
    }
}

/// A `start_response` an application keeps beyond its request.
///
/// `@unchecked Sendable` is sound here: the in-memory tier runs applications on the test's own
/// thread, one at a time.
private final class KeptStartResponse: @unchecked Sendable {
    var value: StartResponse?
}

enum UVErrorForTests {
    static let reset = UVError(-104, "read")
}
