import Foundation
import Testing
@testable import UVLoop

/// libuv's ownership rules as encoded by UVLoop: callbacks counted, every handle closed, and the
/// loop closes with status 0 only then.
@Suite struct HandleLifecycleTests {
    @Test func closedHandlesLetTheLoopClose() throws {
        let loop = try Loop()
        var timerFired = 0
        var closed = 0
        let timer = try LoopTimer(loop: loop)
        try timer.start(after: 1) {
            timerFired += 1
            timer.close { closed += 1 }
        }
        let listener = try SocketListener(loop: loop, host: "127.0.0.1", port: 0)
        try listener.listen { _ in }
        guard case .inet(let address) = try listener.boundAddress() else { throw UVError(-1, "not an IP listener") }
        #expect(address.port > 0)
        listener.close { closed += 1 }
        let wakeup = try AsyncWakeup(loop: loop) {}
        wakeup.close { closed += 1 }
        loop.run()
        #expect(timerFired == 1)
        #expect(closed == 3)
        #expect(loop.openHandles.isEmpty)
        try loop.close()
    }

    @Test func anOpenHandleKeepsTheLoopFromClosing() throws {
        let loop = try Loop()
        let timer = try LoopTimer(loop: loop)
        #expect(loop.openHandles == ["timer"])
        #expect(throws: UVError.self) { try loop.close() }
        timer.close()
        loop.runNoWait()
        try loop.close()
    }

    @Test func closeIsIdempotentAndCallbacksRunOnce() throws {
        let loop = try Loop()
        var closed = 0
        let timer = try LoopTimer(loop: loop)
        timer.close { closed += 1 }
        timer.close { closed += 1 }
        loop.run()
        #expect(closed == 2)  // both completions, one uv_close
        try loop.close()
    }

    @Test func wakeupFromAnotherThreadRunsOnTheLoop() throws {
        let loop = try Loop()
        var fired = 0
        var wakeup: AsyncWakeup!
        wakeup = try AsyncWakeup(loop: loop) {
            fired += 1
            wakeup.close()
        }
        let sender = wakeup.sender!
        let thread = Thread { sender.send() }
        thread.start()
        loop.run()
        #expect(fired == 1)
        sender.send()  // after close: a no-op, not a crash
        try loop.close()
    }

    @Test func bindingABusyPortThrows() throws {
        let loop = try Loop()
        let first = try SocketListener(loop: loop, host: "127.0.0.1", port: 0)
        try first.listen { _ in }
        guard case .inet(let address) = try first.boundAddress() else { throw UVError(-1, "not an IP listener") }
        let port = address.port
        // libuv reports EADDRINUSE from uv_listen (the bind error is deferred).
        let second = try SocketListener(loop: loop, host: "127.0.0.1", port: port)
        #expect(throws: UVError.self) { try second.listen { _ in } }
        second.close()
        first.close()
        loop.run()
        try loop.close()
    }
}
