import CPython
import HTTPServerCore

/// What one thread keeps for the exchanges it runs: its environ builder (templates, header keys),
/// its `start_response` cache, its spare call objects.
///
/// Per thread, so that nothing here is shared between threads: the GIL alone would not protect it,
/// since Python code may run in the middle of a use (a finalizer, run by a garbage collection that
/// an allocation triggered) and switch threads. The exchanges of a thread reach it through their
/// ``PythonThread``. Python code never reaches it, so no use overlaps another on its own thread:
/// the unchecked exclusivity below is sound.
///
/// Its Python objects (templates, spare call objects) are given back in `deinit`, which runs with
/// the GIL held: when its thread ends (``PythonThread``), or when the thread moves to another
/// application.
final class ThreadWorkspace {
    /// The application whose exchanges this serves (kept alive by it).
    let application: PythonApplication
    @exclusivity(unchecked) var environ: EnvironBuilder
    @exclusivity(unchecked) var startResponseArguments = StartResponseArguments()
    @exclusivity(unchecked) var callObjects = CallObjectPool()
    /// The owner of the last body chunk (event-loop threads: see ``PythonBytes``).
    @exclusivity(unchecked) var chunkOwner: PythonBytes?

    init(_ application: PythonApplication) {
        self.application = application
        environ = EnvironBuilder(strings: application.strings, errors: application.errors, fileWrapper: application.fileWrapperType)
    }

    deinit {
        callObjects.releaseAll()
        environ.releaseTemplates()
        startResponseArguments.releaseAll()
    }
}

/// One connection's environ template (see ``EnvironBuilder``): made at the connection's first
/// request, on the thread that runs it, and used by every later one.
///
/// Owns the dict, given back with the GIL when the connection goes (see ``PythonRelease``).
/// `@unchecked Sendable` is sound: the template is set once and read afterwards, always with the
/// GIL held (which orders these accesses), by one request of the connection at a time.
final class ConnectionTemplate: @unchecked Sendable {
    @exclusivity(unchecked) private var template: PythonObject?
    private let takesGIL: Bool

    init(takesGIL: Bool) {
        self.takesGIL = takesGIL
    }

    deinit {
        if let template { PythonRelease.release(template, takesGIL: takesGIL) }
    }

    /// The template (borrowed), made by `make` the first time. nil when it cannot be made.
    func get(_ make: () -> PythonObject?) -> PythonObject? {
        if let template { return template }
        template = make()
        return template
    }
}
