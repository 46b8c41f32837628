import CPython
import Synchronization

/// References given up on a thread that may not take the GIL: an event-loop thread when
/// applications run on their own threads (it never touches Python objects then), dropping the
/// last view of a body chunk after its write. They wait here until a thread holding the GIL gives
/// them back (``drain()``: every application thread at the start of a response step, and the main
/// thread before finalization). So at most the last few chunks of finished responses wait.
enum DeferredReleases {
    /// Object addresses (`UInt`: pointers are not `Sendable`; each stands for one owned reference).
    private static let pending = Mutex<[UInt]>([])
    /// How many are pending, read without the lock on the common path (nothing pending).
    private static let count = Atomic<Int>(0)

    /// Keeps the owned reference `object` for a later release. Any thread; no GIL needed.
    static func add(_ object: PythonObject) {
        pending.withLock { $0.append(UInt(bitPattern: object)) }
        count.add(1, ordering: .releasing)
    }

    /// Gives back every pending reference. With the GIL held.
    @inline(__always)
    static func drain() {
        guard count.load(ordering: .acquiring) > 0 else { return }
        let objects = pending.withLock { pending -> [UInt] in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        count.subtract(objects.count, ordering: .relaxed)
        for address in objects { Py_DECREF(PythonObject(bitPattern: address)!) }
    }
}
