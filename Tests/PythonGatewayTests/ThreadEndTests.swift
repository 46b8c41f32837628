import CPython
import Glibc
import Synchronization
import Testing
@testable import ConnectionHarness
@testable import PythonHost

/// A thread whose Python state is not the server's (the thread that started the interpreter, a
/// Python thread that served) and that ran exchanges holds a workspace of Python objects: when the
/// thread ends they go back with the GIL (a dict freed without it is a fatal error in CPython, seen
/// in CI when a test's worker thread that had started the interpreter ended).
@Suite(.serialized) struct ThreadEndTests {
    @Test func anAdoptedThreadGivesItsWorkspaceBackWithTheGILWhenItEnds() throws {
        _ = PythonTestHost.application
        let answered = Mutex(false)
        // Joined: its thread-local destructors (where the workspace goes) have run when this returns.
        runOnThreadAndJoin {
            // A state the interpreter made, as for any Python thread, adopted by the server.
            _ = PyGILState_Ensure()
            _ = PythonThread.adoptCurrent()
            _ = PyEval_SaveThread()
            guard let client = try? PythonTestHost.connection() else { return }
            client.send(WriteTests.get("/write?blocks=a"))
            let text = try? client.response().bodyText
            answered.withLock { $0 = text == "aend" }
        }
        #expect(answered.withLock { $0 })
        #expect(!PythonTestHost.holdsGIL)
        #expect(PythonTestHost.evaluate("1 + 1") == "2", "the interpreter goes on")
        let next = try PythonTestHost.connection()
        next.send(WriteTests.get("/write?blocks=b"))
        #expect(try next.response().bodyText == "bend")
    }

    /// Runs `body` on a new POSIX thread and waits until that thread has ended.
    private func runOnThreadAndJoin(_ body: @escaping @Sendable () -> Void) {
        final class Box: Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        var thread = pthread_t()
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        let status = pthread_create(&thread, nil, { argument in
            let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        precondition(status == 0, "pthread_create failed")
        pthread_join(thread, nil)
    }
}
