import CPython

/// Gives back a Python reference from wherever its owner goes away (any thread), with the GIL: at
/// once when this thread holds it, or when the reference was made for a thread that may take the
/// GIL (an event-loop thread running applications); else later, through ``DeferredReleases``.
///
/// Whether the thread holds the GIL is asked of the interpreter (``PythonThread/holdsGIL``), so a
/// release is right wherever the compiler lets a `deinit` run, even inside ``PythonThread/acquire()``
/// or ``PythonThread/release()`` or while a server call waits with the GIL given away.
///
/// Where Python references are given back, and who holds the GIL there:
/// - Body chunks (``PythonBytes``), from `write()` or the body. Inline (the loop thread runs
///   applications; also each worker): dropped on the loop thread, after the bytes were copied
///   (during the step: GIL held), after an asynchronous write completed or was cancelled by a
///   close (write callback: the GIL is taken, kept until the loop waits), or inside a `write()`
///   that failed (the client gone, the write timeout: the GIL was given away for the wait and is
///   taken here). With application threads: on the pool thread during a step (GIL held) or while
///   its `write()` waits (deferred); on the loop thread, which never takes the GIL (deferred).
///   Deferred ones are given back by the next application step on any thread, and by the main
///   thread before the interpreter finalizes (shutdown, a worker recycled by `--max-requests`).
/// - The result, its iterator and ``CallObjects``: in the exchange's `close()`, on the thread
///   of its last step, which takes the GIL for it.
/// - The environ dict: right after the application call returns (GIL held).
/// - A connection's environ template (``ConnectionTemplate``): when the connection goes, on the
///   loop thread: taken inline, deferred with application threads.
/// - A thread's workspace (spare chunk owner, call objects): kept for the interpreter's life.
enum PythonRelease {
    static func release(_ object: PythonObject, takesGIL: Bool) {
        if let thread = PythonThread.currentIfAttached, takesGIL || thread.holdsGIL {
            thread.acquire()
            Py_DECREF(object)
        } else {
            DeferredReleases.add(object)
        }
    }
}
