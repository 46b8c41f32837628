import CPython
import Glibc

/// CPython around a `fork()` without `exec` (`--preload`), on the thread that holds the GIL (the
/// master's only thread: see `Supervisor/WorkerForking.swift`).
public enum PythonFork {
    /// Before the fork: the objects made so far go to the permanent generation (`gc.freeze()`),
    /// so that the workers' collections never write to the pages they share with the master
    /// (copy-on-write stays shared); then CPython's own preparation (its locks).
    public static func prepare() {
        if PyRun_SimpleString("import gc; gc.freeze()") != 0 { PyErr_Clear() }
        PyOS_BeforeFork()
    }

    public static func parentAfterFork() {
        PyOS_AfterFork_Parent()
    }

    /// In the child, first: CPython's state for a process of one thread.
    public static func childAfterFork() {
        PyOS_AfterFork_Child()
    }

    /// Ends a forked worker: Python's `atexit` handlers run and its streams are flushed, as when a
    /// worker started by exec returns to Python, then the process exits without running the
    /// master's code it was forked from. With the GIL.
    public static func exitChild(status: Int32) -> Never {
        if PyRun_SimpleString("import atexit, sys\natexit._run_exitfuncs()\nsys.stdout.flush()\nsys.stderr.flush()") != 0 { PyErr_Clear() }
        fflush(nil)
        _exit(status)
    }
}
