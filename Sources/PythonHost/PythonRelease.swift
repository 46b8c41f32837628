import CPython

/// Gives back a Python reference from wherever its owner goes away (any thread), with the GIL: at
/// once when this thread holds it, or when the reference was made for a thread that may take the
/// GIL (an event-loop thread running applications); else later, through ``DeferredReleases``.
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
