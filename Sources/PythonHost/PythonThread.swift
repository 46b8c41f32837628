import CPython
import CPythonShim
import Glibc
import Synchronization

/// One OS thread's attachment to the interpreter: its thread state, kept for the thread's whole
/// life (making one per request with `PyGILState_Ensure` costs about 7 µs; restoring a kept one
/// about 0.4 µs).
///
/// The GIL discipline. A thread takes the GIL only through ``acquire()`` and gives it back only
/// through ``release()``; both do nothing when nothing changes, so code that needs Python calls
/// `acquire()` lazily, where it needs it. Event-loop threads that run applications (inline mode)
/// keep the GIL from their first Python work in a loop iteration until the loop is about to wait
/// (``PythonGateway/threadWillWait()``), so that a burst of requests pays for one hand-over and the
/// application's own threads run whenever the server idles. Application threads (`--threads`)
/// give it back at the end of every step of a response. Any thread gives it back before it blocks
/// inside a server call (`write()`, a body read: ``PythonGateway/threadWillWait()``) and the
/// gateway takes it back when the call returns.
///
/// Whether the thread holds the GIL is read from the interpreter itself (``holdsGIL``), never kept
/// in a flag of ours: a Swift object's `deinit` may run at any point after its last use, the
/// compiler may place it between `PyEval_RestoreThread` and the store of such a flag, and a
/// ``PythonBytes`` released there would find the flag stale and take the GIL a second time (a
/// deadlock seen in release builds).
///
/// Ownership of thread states: a thread the server started (a loop, an application thread) gets a
/// state of its own (``ownsState``), deleted on that thread when it ends (the thread-local key's
/// destructor, with the GIL, after its workspace let go of its Python objects). A thread that
/// already ran Python keeps the state the interpreter gave it: the thread that started an
/// embedded interpreter (whose finalization deletes it) or the Python thread that called into the
/// extension module (``adoptCurrent()``).
///
/// `@unchecked Sendable` is sound: a record is used by its own thread only (found through a
/// thread-local key), except by ``PythonThreads`` which reads ``runsApplication`` and deletes
/// ``state`` while holding the GIL, when the thread cannot be touching them: it writes
/// `runsApplication` only while holding the GIL, and states are deleted after the threads ended.
final class PythonThread: @unchecked Sendable {
    /// This thread's state.
    let state: UnsafeMutablePointer<PyThreadState>
    /// The state was made for this thread by the server, and is deleted when the thread ends.
    let ownsState: Bool
    /// Application code runs on this thread now (what an interruption must reach). Written with
    /// the GIL held.
    var runsApplication = false
    /// What this thread keeps for the exchanges it runs; made by the first one. Unchecked
    /// exclusivity: only this thread touches it.
    @exclusivity(unchecked) private var workspace: ThreadWorkspace?

    private init(state: UnsafeMutablePointer<PyThreadState>, ownsState: Bool) {
        self.state = state
        self.ownsState = ownsState
    }

    /// Whether this thread holds the GIL now: its state is the interpreter's current one.
    var holdsGIL: Bool { swsgi_current_thread_state() == state }

    /// Takes the GIL unless this thread holds it.
    @inline(__always)
    func acquire() {
        guard !holdsGIL else { return }
        PyEval_RestoreThread(state)
    }

    /// Gives the GIL back if this thread holds it.
    @inline(__always)
    func release() {
        guard holdsGIL else { return }
        _ = PyEval_SaveThread()
    }

    /// This thread's workspace for `application`'s exchanges (one application at a time: a thread
    /// serving another one, the caller of a second `make_server`, gets a new workspace). With the
    /// GIL held.
    @inline(__always)
    func workspace(for application: PythonApplication) -> ThreadWorkspace {
        if let workspace, workspace.application === application { return workspace }
        let made = ThreadWorkspace(application)
        workspace = made
        return made
    }

    /// The thread ends: its workspace lets go of its Python objects, with the GIL, and a state of
    /// its own is deleted (the thread-local key's destructor, on this thread).
    ///
    /// A thread whose state is not ours (a Python thread that served through `make_server`, or
    /// the thread that started an embedded interpreter, such as a test's worker thread) may still
    /// hold a workspace: its templates are dicts, whose deallocation without the GIL is a fatal
    /// error in CPython. Its state may be gone by now (Python deletes a thread's state before the
    /// thread ends), so the GIL is taken through a temporary state (`PyGILState_Ensure`).
    fileprivate func end() {
        guard PythonThreads.mayTakeGIL, swsgi_is_finalizing() == 0 else { return }
        if ownsState {
            PyEval_RestoreThread(state)
            workspace = nil
            DeferredReleases.drain()
            PyThreadState_Clear(state)
            PyThreadState_DeleteCurrent()
        } else if workspace != nil {
            let gil = PyGILState_Ensure()
            workspace = nil
            PyGILState_Release(gil)
        }
    }

    // MARK: Finding the calling thread's record

    /// The calling thread's record, attaching the thread now with a state of its own when it has
    /// none (without the GIL).
    static var current: PythonThread {
        if let thread = currentIfAttached { return thread }
        return attach(state: PyThreadState_New(PyInterpreterState_Main())!, ownsState: true)
    }

    /// The calling thread's record; nil when the thread never ran Python.
    static var currentIfAttached: PythonThread? {
        guard let pointer = pthread_getspecific(recordKey) else { return nil }
        return Unmanaged<PythonThread>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// Whether `thread` is the calling thread's record (compared without counting references: this
    /// runs on every `start_response` and `write`).
    static func isCurrent(_ thread: PythonThread?) -> Bool {
        guard let thread else { return false }
        return pthread_getspecific(recordKey) == Unmanaged.passUnretained(thread).toOpaque()
    }

    /// Gives the GIL back if the calling thread holds it (without counting a reference to its
    /// record: this runs on every loop iteration).
    static func releaseIfHeld() {
        guard let pointer = pthread_getspecific(recordKey) else { return }
        Unmanaged<PythonThread>.fromOpaque(pointer)._withUnsafeGuaranteedRef { $0.release() }
    }

    /// The calling thread's record with the state it runs Python with now: the thread that has
    /// just initialized an embedded interpreter, or a Python thread calling into the extension
    /// module. With the GIL held.
    static func adoptCurrent() -> PythonThread {
        if let thread = currentIfAttached { return thread }
        return attach(state: PyThreadState_Get(), ownsState: false)
    }

    private static func attach(state: UnsafeMutablePointer<PyThreadState>, ownsState: Bool) -> PythonThread {
        let thread = PythonThread(state: state, ownsState: ownsState)
        PythonThreads.register(thread)
        // Unretained: the registry keeps the record alive until the thread ends.
        pthread_setspecific(recordKey, Unmanaged.passUnretained(thread).toOpaque())
        return thread
    }
}

/// The thread-local key of ``PythonThread`` records; its destructor ends a thread's record.
private let recordKey: pthread_key_t = {
    var key = pthread_key_t()
    precondition(pthread_key_create(&key, { pointer in
        guard let pointer else { return }
        let thread = Unmanaged<PythonThread>.fromOpaque(pointer).takeUnretainedValue()
        // Forgotten first: from then on nobody reaches its state, which end() deletes (with the
        // GIL, under which interruptApplications() reads the registry).
        PythonThreads.forget(thread)
        thread.end()
    }) == 0, "pthread_key_create failed")
    return key
}()

/// Every thread attached to the interpreter, for what concerns them all: interrupting application
/// code, and deleting their states before finalization.
enum PythonThreads {
    private static let all = Mutex<[PythonThread]>([])
    /// Set when finalization starts: no thread may take the GIL afterwards (CPython ends a thread
    /// that tries).
    private static let finalizing = Atomic<Bool>(false)

    fileprivate static func register(_ thread: PythonThread) {
        all.withLock { $0.append(thread) }
    }

    fileprivate static func forget(_ thread: PythonThread) {
        all.withLock { $0.removeAll { $0 === thread } }
    }

    /// Whether a thread may still take the GIL (not once an embedded interpreter's finalization
    /// started: CPython ends a thread that tries).
    fileprivate static var mayTakeGIL: Bool { !finalizing.load(ordering: .acquiring) }

    /// Raises `KeyboardInterrupt` in every thread that runs application code now, as Ctrl-C does
    /// in a Python program: Python code stops at its next bytecode (code blocked in C, such as a
    /// long `time.sleep`, only when it returns). From a thread that never ran Python (the signal
    /// thread): it takes the GIL for the call, through a temporary thread state.
    static func interruptApplications() {
        guard !finalizing.load(ordering: .acquiring) else { return }
        let gil = PyGILState_Ensure()
        // Read with the GIL held: a thread that ends forgets itself before it deletes its state,
        // and deleting needs the GIL, so every state listed now stays valid until the release.
        for thread in all.withLock({ $0 }) where thread.runsApplication {
            PyThreadState_SetAsyncExc(swsgi_thread_id(thread.state), swsgi_keyboard_interrupt())
        }
        PyGILState_Release(gil)
    }

    /// Deletes the states the server made that are left (threads end deleting their own), before
    /// an embedded interpreter's finalization: no thread may take the GIL from now on. On the main
    /// thread with the GIL held.
    static func deleteThreadStates() {
        finalizing.store(true, ordering: .releasing)
        let others = all.withLock { threads -> [PythonThread] in
            defer { threads.removeAll { $0.ownsState } }
            return threads.filter { $0.ownsState }
        }
        for thread in others {
            PyThreadState_Clear(thread.state)
            PyThreadState_Delete(thread.state)
        }
    }
}
