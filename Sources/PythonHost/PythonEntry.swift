import CPython

/// What a call from Python into the extension module needs of the GIL, for code outside this
/// module (the `swift_wsgi._native` functions).
public enum PythonEntry {
    /// Runs `body` with the GIL given away by the calling Python thread (which holds it), and takes
    /// it back afterwards, whatever `body` did with it: for calls that wait (serving, supervising
    /// workers), so that the program's other threads run. The thread's record is adopted first, so
    /// that code in `body` attaching to the interpreter finds this thread's own state.
    public static func releasingGIL<Result>(_ body: () throws -> Result) rethrows -> Result {
        let thread = PythonThread.adoptCurrent()
        thread.release()
        defer { thread.acquire() }
        return try body()
    }

    /// Takes the GIL for the calling thread (adopted by ``releasingGIL(_:)`` or attached before),
    /// runs `body`, and gives it back when the thread did not hold it.
    public static func withGIL<Result>(_ body: () throws -> Result) rethrows -> Result {
        let thread = PythonThread.current
        let held = thread.holdsGIL
        thread.acquire()
        defer { if !held { thread.release() } }
        return try body()
    }
}
