import Foundation
import HTTPServerCore
import Synchronization
import Testing
import TestSupport
import WSGI

/// The loop's exchange pool over real sockets: an exchange moves between connections, and each
/// request still sees its own connection; an environ an application keeps stays as it was.
@Suite struct ExchangePoolTests {
    @Test func everyRequestSeesItsOwnConnectionWhileExchangesMoveBetweenThem() throws {
        let server = try TestServer(app: { environ, startResponse in
            try startResponse("200 OK", [("Content-Type", "text/plain")])
            return [Bytes(utf8: "\(environ["REMOTE_PORT"] ?? "-") \(environ["PATH_INFO"] ?? "-")")]
        })
        defer { server.stop() }
        let clients = try (0..<3).map { _ in try server.client() }
        for round in 0..<4 {
            for client in clients {
                let response = try client.exchange("GET /r\(round) HTTP/1.1\r\nHost: t\r\n\r\n")
                #expect(response.status == 200)
                #expect(response.bodyText == "\(client.localPort) /r\(round)")
            }
        }
    }

    @Test func anEnvironTheApplicationKeepsStaysAsItWas() throws {
        let kept = Mutex<[Environ]>([])
        let server = try TestServer(app: { environ, startResponse in
            kept.withLock { $0.append(environ) }
            try startResponse("200 OK", [("Content-Type", "text/plain")])
            return [Bytes(utf8: environ["PATH_INFO"] ?? "-")]
        })
        defer { server.stop() }
        let first = try server.client()
        let second = try server.client()
        #expect(try first.exchange("GET /one HTTP/1.1\r\nHost: t\r\n\r\n").bodyText == "/one")
        #expect(try second.exchange("GET /two HTTP/1.1\r\nHost: t\r\n\r\n").bodyText == "/two")
        #expect(try first.exchange("GET /three HTTP/1.1\r\nHost: t\r\n\r\n").bodyText == "/three")
        let environs = kept.withLock { $0 }
        #expect(environs.map { $0["PATH_INFO"] } == ["/one", "/two", "/three"])
        #expect(environs.map { $0["REMOTE_PORT"] } == ["\(first.localPort)", "\(second.localPort)", "\(first.localPort)"])
    }
}

/// The pool itself: a kept exchange is reused once only the pool holds it, never while anything
/// else does, and the pool keeps at most its capacity.
@Suite struct ExchangePoolUnitTests {
    final class Probe {
        var resets = 0
    }

    @Test func aFreeExchangeIsReusedAndAHeldOneIsPassedBy() {
        let pool = ExchangePool<Probe>()
        var made = 0
        var first: Probe? = pool.next(reset: { $0.resets += 1 }, make: { made += 1; return Probe() })
        let firstID = ObjectIdentifier(first!)
        // `first` is still held here: the pool must make another.
        var second: Probe? = pool.next(reset: { $0.resets += 1 }, make: { made += 1; return Probe() })
        #expect(made == 2)
        #expect(ObjectIdentifier(second!) != firstID)
        first = nil
        // Only the pool holds the first one now: it is reused, reset, and nothing is made.
        let again = pool.next(reset: { $0.resets += 1 }, make: { made += 1; return Probe() })
        #expect(made == 2)
        #expect(ObjectIdentifier(again) == firstID)
        #expect(again.resets == 1)
        withExtendedLifetime(second) { second = nil }
    }

    @Test func thePoolKeepsAtMostItsCapacity() {
        let pool = ExchangePool<Probe>()
        let held = (0..<(ExchangePool<Probe>.capacity + 4)).map { _ in pool.next(reset: { _ in }, make: { Probe() }) }
        #expect(pool.count == ExchangePool<Probe>.capacity)
        withExtendedLifetime(held) {}
    }
}
