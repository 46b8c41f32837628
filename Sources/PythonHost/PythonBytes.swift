import CPython
import CPythonShim
import SharedBytes

/// Keeps a Python `bytes` object alive for the ``Bytes`` values that view its buffer, so that a
/// body chunk goes to the socket from the object's own memory, without a copy: a `bytes` object is
/// immutable and its buffer never moves while the object lives.
///
/// It owns one reference to the object, given back in `deinit` (after the last view is gone: the
/// core keeps a chunk until its write completed) with the GIL held: taken there when this owner
/// was made for a thread that takes the GIL lazily (an event-loop thread running applications),
/// else handed to ``DeferredReleases`` unless the releasing thread happens to hold the GIL.
///
/// `@unchecked Sendable` is sound: the stored properties are immutable, the object's bytes too, and
/// the one mutation (the reference count, in `deinit`) happens with the GIL held.
final class PythonBytes: ByteOwner, @unchecked Sendable {
    private let object: PythonObject
    private let takesGIL: Bool

    private init(object: PythonObject, takesGIL: Bool) {
        self.object = object
        self.takesGIL = takesGIL
    }

    deinit {
        if let thread = PythonThread.currentIfAttached, takesGIL || thread.holdsGIL {
            thread.acquire()
            Py_DECREF(object)
        } else {
            DeferredReleases.add(object)
        }
    }

    /// A view of the `bytes` object `object`, taking over the caller's (owned) reference to it.
    /// With the GIL held. `takesGIL`: the view is dropped on a thread that may take the GIL.
    static func view(adopting object: PythonObject, takesGIL: Bool) -> Bytes {
        let count = PyBytes_GET_SIZE(object)
        guard count > 0 else {
            Py_DECREF(object)
            return Bytes()
        }
        let base = UnsafeRawPointer(PyBytes_AS_STRING(object)!)
        return Bytes(borrowing: base, count: count, owner: PythonBytes(object: object, takesGIL: takesGIL))
    }
}
