import CPython
import CPythonShim
import SharedBytes

/// Keeps a Python `bytes` object alive for the ``Bytes`` values that view its buffer, so that a
/// body chunk goes to the socket from the object's own memory, without a copy: a `bytes` object is
/// immutable and its buffer never moves while the object lives.
///
/// It owns one reference to the object, given back in `deinit` (after the last view is gone: the
/// core keeps a chunk until its write completed) through ``PythonRelease``.
///
/// `@unchecked Sendable` is sound: `takesGIL` and the object's bytes never change; `object` changes
/// only in ``view(adopting:reusing:)``, on the one thread whose workspace keeps the owner, and only
/// when no view of it exists (a uniqueness check), so no other thread can be reading it then; and
/// the object's reference count changes with the GIL held (``PythonRelease``).
final class PythonBytes: ByteOwner, @unchecked Sendable {
    // Unchecked exclusivity: changed only by ``view(adopting:reusing:)`` while no view exists.
    @exclusivity(unchecked) private var object: PythonObject
    private let takesGIL: Bool

    private init(object: PythonObject, takesGIL: Bool) {
        self.object = object
        self.takesGIL = takesGIL
    }

    deinit {
        PythonRelease.release(object, takesGIL: takesGIL)
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

    /// ``view(adopting:takesGIL:)`` for an event-loop thread that runs applications, reusing the
    /// owner in `spare` (kept by the thread's workspace) when no view of its last object is left:
    /// a chunk then costs no allocation. The last object stays referenced until the next chunk.
    static func view(adopting object: PythonObject, reusing spare: inout PythonBytes?) -> Bytes {
        let count = PyBytes_GET_SIZE(object)
        guard count > 0 else {
            Py_DECREF(object)
            return Bytes()
        }
        let base = UnsafeRawPointer(PyBytes_AS_STRING(object)!)
        // Checked before any other reference to it exists in this scope: the core dropped every
        // view (on this thread: the write was done), so the object it kept may go.
        if isKnownUniquelyReferenced(&spare), let owner = spare {
            let previous = owner.object
            owner.object = object
            Py_DECREF(previous)
            return Bytes(borrowing: base, count: count, owner: owner)
        }
        let owner = PythonBytes(object: object, takesGIL: true)
        spare = owner
        return Bytes(borrowing: base, count: count, owner: owner)
    }
}
