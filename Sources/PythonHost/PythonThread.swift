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
/// `@unchecked Sendable` is sound: a record is used by its own thread only (found through a
/// thread-local key), except by ``PythonThreads`` which reads ``runsApplication`` and deletes
/// ``state`` while holding the GIL, when the thread cannot be touching them: it writes
/// `runsApplication` only while holding the GIL, and states are deleted after the threads ended.
final class PythonThread: @unchecked Sendable {
    /// This thread's state; deleted by ``PythonThreads/deleteThreadStates()`` (not for the main thread,
    /// whose state the interpreter's finalization deletes).
    let state: UnsafeMutablePointer<PyThreadState>
    /// Application code runs on this thread now (what an interruption must reach). Written with
    /// the GIL held.
    var runsApplication = false
    /// The thread that started the interpreter (Python's main thread).
    let isMain: Bool
    /// What this thread keeps for the exchanges it runs; made by the first one. Unchecked
    /// exclusivity: only this thread touches it.
    @exclusivity(unchecked) private var workspace: ThreadWorkspace?

    private init(state: UnsafeMutablePointer<PyThreadState>, isMain: Bool) {
        self.state = state
        self.isMain = isMain
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

    /// This thread's workspace for `application`'s exchanges.
    @inline(__always)
    func workspace(for application: PythonApplication) -> ThreadWorkspace {
        if let workspace { return workspace }
        let made = ThreadWorkspace(application)
        workspace = made
        return made
    }

    // MARK: Finding the calling thread's record

    /// The calling thread's record, attaching the thread now when it has none (without the GIL).
    static var current: PythonThread {
        if let thread = currentIfAttached { return thread }
        return attach(state: PyThreadState_New(PyInterpreterState_Main())!, isMain: false)
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

    /// Records the thread that has just initialized the interpreter (it holds the GIL).
    static func attachMain() -> PythonThread {
        attach(state: PyThreadState_Get(), isMain: true)
    }

    private static func attach(state: UnsafeMutablePointer<PyThreadState>, isMain: Bool) -> PythonThread {
        let thread = PythonThread(state: state, isMain: isMain)
        PythonThreads.register(thread)
        // Unretained: the registry keeps the record alive for the interpreter's life.
        pthread_setspecific(recordKey, Unmanaged.passUnretained(thread).toOpaque())
        return thread
    }
}

/// The thread-local key of ``PythonThread`` records.
private let recordKey: pthread_key_t = {
    var key = pthread_key_t()
    precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create failed")
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

    /// Raises `KeyboardInterrupt` in every thread that runs application code now, as Ctrl-C does
    /// in a Python program: Python code stops at its next bytecode (code blocked in C, such as a
    /// long `time.sleep`, only when it returns). From a thread that never ran Python (the signal
    /// thread): it takes the GIL for the call, through a temporary thread state.
    static func interruptApplications() {
        guard !finalizing.load(ordering: .acquiring) else { return }
        let gil = PyGILState_Ensure()
        for thread in all.withLock({ $0 }) where thread.runsApplication {
            PyThreadState_SetAsyncExc(swsgi_thread_id(thread.state), swsgi_keyboard_interrupt())
        }
        PyGILState_Release(gil)
    }

    /// Deletes the states of the threads other than the main one, which have all ended. On the
    /// main thread with the GIL held, right before finalization.
    static func deleteThreadStates() {
        finalizing.store(true, ordering: .releasing)
        let others = all.withLock { threads -> [PythonThread] in
            defer { threads.removeAll { !$0.isMain } }
            return threads.filter { !$0.isMain }
        }
        for thread in others {
            PyThreadState_Clear(thread.state)
            PyThreadState_Delete(thread.state)
        }
    }
}
