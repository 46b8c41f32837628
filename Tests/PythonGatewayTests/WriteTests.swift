import Testing
import TestSupport
import UVLoop
@testable import ConnectionHarness
@testable import HTTPServerCore

/// A Python application's `write()` on the loop thread, in memory: each block reaches the socket
/// before `write()` returns, from the call or from the iteration, and every way a write can fail
/// gives the Python references back with the GIL and leaves the server serving. (Serialized: the
/// counts live in the one interpreter.)
@Suite(.serialized) struct WriteTests {
    static func get(_ target: String) -> String { "GET \(target) HTTP/1.1\r\nHost: x\r\n\r\n" }

    @Test func eachBlockReachesTheSocketBeforeWriteReturns() throws {
        // Output deferred to the flush point, as in a running loop: only write() writes at once.
        let client = try PythonTestHost.connection(deferring: true)
        client.send(Self.get("/write?blocks=a,bb,ccc"))
        #expect(client.transport.writeCalls == 3, "one write per block, before the application returned")
        #expect(client.rawOutput().hasSuffix("\r\n1\r\na\r\n2\r\nbb\r\n3\r\nccc\r\n"))
        client.flushPoint()
        #expect(client.rawOutput() == "3\r\nend\r\n0\r\n\r\n")
        #expect(!PythonTestHost.holdsGIL, "the loop gave the GIL back before waiting")
    }

    @Test func aClientGoneMidWriteGetsOSErrorAndTheReferencesBack() throws {
        let gone = try PythonTestHost.connection()
        gone.transport.takesAtMost = 16 * 1024
        // The socket fills, write() waits, and the peer resets meanwhile.
        gone.transport.whileWaiting = { [weak gone] in gone?.transport.failure = UVError(-104, "uv_try_write") }
        gone.send(Self.get("/write-blocks?n=8"))
        #expect(PythonTestHost.takeEvents() == ["write failed"])
        #expect(gone.state == .closed)
        #expect(PythonTestHost.aliveBlocks == 0)
        #expect(!PythonTestHost.holdsGIL)
        let next = try PythonTestHost.connection()
        next.send(Self.get("/write-blocks?n=2"))
        #expect(try next.response().body.count == 2 * 65536)
    }

    @Test func theWriteTimeoutEndsAWriteToAClientThatReadsNothing() throws {
        let client = try PythonTestHost.connection { $0.timeouts.write = .milliseconds(10) }
        client.transport.acceptsWrites = false
        client.send(Self.get("/write-blocks?n=8"))
        #expect(PythonTestHost.takeEvents() == ["write failed"])
        #expect(client.transport.waits == 1)
        #expect(client.state == .closed)
        #expect(PythonTestHost.aliveBlocks == 0)
        let next = try PythonTestHost.connection()
        next.send(Self.get("/"))
        #expect(try next.response().bodyText == "hello")
    }

    @Test func closingWithWritesQueuedGivesTheBlocksBack() throws {
        let client = try PythonTestHost.connection()
        client.transport.acceptsWrites = false
        client.send(Self.get("/yield-blocks?n=4"))
        #expect(client.transport.hasQueuedWrites, "the first block waits in a queued write")
        // The server shuts the connection down: the queued write is cancelled, its block released.
        client.close()
        #expect(client.state == .closed)
        // The thread keeps the owner of its last body chunk for reuse until its next chunk: one
        // more response (its body, "end", is a chunk) lets go of the last block too.
        let next = try PythonTestHost.connection()
        next.send(Self.get("/write?blocks=x"))
        #expect(try next.response().bodyText == "xend")
        #expect(PythonTestHost.aliveBlocks == 0)
    }

    @Test func anHgwebArchiveArrivesWhole() throws {
        let client = try PythonTestHost.connection()
        client.send(Self.get("/hgweb?size=100000"))
        client.flushPoint()
        let response = try client.response()
        #expect(response.status == 200)
        #expect(response.body.count == 100_004)
        #expect(response.bodyText.hasSuffix("tail"))
        #expect(PythonTestHost.aliveBlocks == 0)
    }

    @Test func writesFromTheIterationGoBeforeWhatTheStepYields() throws {
        let client = try PythonTestHost.connection()
        client.send(Self.get("/iterate-write"))
        client.flushPoint()
        #expect(try client.response().bodyText == "abcd")
    }

    @Test func aBodyThatFailsMidReadGetsOSErrorAndTheServerGoesOn() throws {
        let client = try PythonTestHost.connection {
            $0.loopThreadBodies = .streamed
            $0.bodyMemoryThreshold = 0
        }
        client.transport.peerFinished = true
        client.send("POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + String(repeating: "a", count: 1000))
        #expect(PythonTestHost.takeEvents() == ["read failed"])
        #expect(!PythonTestHost.holdsGIL)
        let next = try PythonTestHost.connection()
        next.send("POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
        #expect(try next.response().bodyText == "3")
    }
}
