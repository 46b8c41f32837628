import CPython
import CPythonShim
import HTTPServerCore
import Logging
import SharedBytes
import WSGIGateway

/// A loaded WSGI application and the Python objects all its requests share. The server meets it as
/// ``responder``, its whole wiring.
///
/// `@unchecked Sendable` is sound: everything here is immutable, and the Python objects it points
/// at are owned for the interpreter's life (what changes per request lives in each thread's
/// ``ThreadWorkspace``).
public final class PythonApplication: @unchecked Sendable {
    /// The application callable (owned).
    let callable: PythonObject
    /// The support module (owned by the interpreter, which outlives the application).
    let support: PythonObject
    /// The `wsgi.file_wrapper` class and the `wsgi.errors` stream (owned). A body of exactly the
    /// file wrapper's type may be sent as a file.
    let fileWrapperType: PythonObject
    let errors: PythonObject
    /// `close`, the name looked up on every result that is not an exact list or tuple (interned).
    let closeName: PythonObject
    let strings: EnvironStrings
    let logger: Logger

    /// With the GIL held; takes over the (owned) `callable`.
    init(callable: PythonObject, support: PythonObject, logger: Logger) {
        self.callable = callable
        self.support = support
        self.logger = logger
        fileWrapperType = PyObject_GetAttrString(support, "FileWrapper")!
        errors = PyObject_GetAttrString(support, "errors")!
        closeName = Python.interned("close")
        strings = EnvironStrings()
    }

    /// What the server drives requests through.
    public var responder: any Responder { PythonGateway(application: self) }

    /// The same application with a config file's `pre_request`/`post_request` around it, as
    /// worker `age` (a `--preload` worker wraps the application its master imported). With the GIL.
    public func withRequestHooks(_ hooks: PythonHooks, age: Int) -> PythonApplication {
        PythonApplication(callable: hooks.wrap(Py_NewRef(callable), age: age), support: support, logger: logger)
    }

    /// `application(environ, start_response)`: the result (new), or nil with the exception set.
    func call(environ: PythonObject, startResponse: PythonObject) -> PythonObject? {
        withUnsafeTemporaryAllocation(of: PythonObject?.self, capacity: 2) { arguments in
            arguments[0] = environ
            arguments[1] = startResponse
            return PyObject_Vectorcall(callable, arguments.baseAddress, 2, nil)
        }
    }
}

/// The ``Responder`` of a Python application: every connection gets a ``PythonConnection``.
struct PythonGateway: Responder {
    let application: PythonApplication

    func handler(for connection: ConnectionInfo, on server: ServerInfo, loop: LoopScope) -> any RequestHandler {
        PythonConnection(
            application: application,
            pool: server.applicationThreads == 0 ? loop.shared { ExchangePool<PythonExchange>() } : nil,
            cgi: CGIContext(connection: connection, server: server, mountPoint: Bytes())
        )
    }

    /// Gives the GIL back if the calling thread holds it: a loop about to wait for I/O (it took
    /// the GIL lazily for the requests of the iteration), or a thread about to block inside a
    /// server call (whoever made the call takes it back when it returns).
    func threadWillWait() { PythonThread.releaseIfHeld() }
}

/// The requests of one connection, each turned into a ``PythonExchange``; when applications run
/// on the loop thread, exchanges come from the loop's ``ExchangePool``. Making an exchange touches
/// no Python object: the loop thread of a threaded server never does. Loop thread only.
final class PythonConnection: RequestHandler {
    private let application: PythonApplication
    /// The loop's exchanges; nil with application threads (each request makes its own).
    private let pool: ExchangePool<PythonExchange>?
    private let cgi: CGIContext
    private let template: ConnectionTemplate

    init(application: PythonApplication, pool: ExchangePool<PythonExchange>?, cgi: CGIContext) {
        self.application = application
        self.pool = pool
        self.cgi = cgi
        template = ConnectionTemplate(takesGIL: pool != nil)
    }

    func accept(_ request: borrowing IncomingRequest) -> any ResponseSource {
        guard let pool else { return PythonExchange(request, application: application, cgi: cgi, template: template, inline: false) }
        return pool.next(
            reset: { $0.reuse(for: request, cgi: cgi, template: template) },
            make: { PythonExchange(request, application: application, cgi: cgi, template: template, inline: true) }
        )
    }
}
