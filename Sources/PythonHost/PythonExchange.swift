import CPython
import CPythonShim
import Glibc
import HTTPServerCore
import SharedBytes
import WSGIGateway

/// One request/response of a Python WSGI application: builds the environ, calls the application,
/// is the target of its `start_response` and `write`, and turns the returned iterable into parts
/// for the core. PEP 3333's ordering rules are the ``ResponseProtocol``'s (shared with the Swift
/// gateway); this object supplies the Python side.
///
/// The GIL: every step takes it through the running thread's ``PythonThread`` (lazily: an inline
/// loop thread usually holds it already); with application threads each step gives it back before
/// returning. A `write()` or a body read that waits (for the client, or the loop) gives it up
/// meanwhile (``PythonGateway/threadWillWait()``) and takes it back before returning to Python.
/// Body chunks go out from the `bytes` objects' own memory (``PythonBytes``).
///
/// References: the exchange owns its result (and iterator) and its ``CallObjects`` from the call
/// until `close()`, which calls the result's `close()` (exactly once: the core calls `close()`
/// once) and gives everything back. The environ is the application's from the call on: the
/// exchange drops its reference when the callable returns.
///
/// Thread: `@unchecked Sendable` is sound as for the Swift gateway's exchange: it is made or reset
/// on the loop thread while nothing else holds it, handed to the one thread that runs its steps
/// (through the core's pool queue, a lock), and used by that thread only; application code reaches
/// it only through `start_response` and `write`, on that thread (checked).
final class PythonExchange: ResponseSource, @unchecked Sendable {
    /// Where the application's result is. Owned references.
    fileprivate enum Result {
        case none
        /// An exact list or tuple: items by index, and no `close` to look for.
        case sequence(PythonObject, isList: Bool, next: Int)
        /// Any other iterable and its iterator (nil when it could not be made).
        case iterable(PythonObject, iterator: PythonObject?)
        /// The server's file wrapper, whose file the core is sending.
        case file(PythonObject)
    }

    private let application: PythonApplication
    /// The current request's connection and its environ template (the loop's pool moves an
    /// exchange between connections).
    @exclusivity(unchecked) private var cgi: CGIContext
    @exclusivity(unchecked) private var template: ConnectionTemplate
    /// Applications run on the loop thread: the GIL is kept until the loop waits, and chunks are
    /// released on this thread.
    private let inline: Bool
    // Unchecked exclusivity: one thread uses the exchange at a time (above), and application code
    // reentering through start_response or write touches only `rules` and the cache, never a
    // property being changed around the call.
    @exclusivity(unchecked) private var request: RequestHeadCopy
    @exclusivity(unchecked) private var body: RequestBody?
    @exclusivity(unchecked) private var rules: ResponseProtocol
    @exclusivity(unchecked) private var result = Result.none
    @exclusivity(unchecked) private var objects: CallObjects?
    /// The rest of the body when it is a file the core sends.
    @exclusivity(unchecked) private var pendingFile: FileSlice?
    /// The core's sink during each step: the call, an iteration (the core keeps it alive meanwhile).
    @exclusivity(unchecked) private unowned(unsafe) var sink: (any PartSink)?
    /// The thread running the current step (the registry keeps records alive), and its workspace.
    @exclusivity(unchecked) private unowned(unsafe) var thread: PythonThread?
    @exclusivity(unchecked) private unowned(unsafe) var workspace: ThreadWorkspace?

    init(_ request: borrowing IncomingRequest, application: PythonApplication, cgi: CGIContext, template: ConnectionTemplate, inline: Bool) {
        self.application = application
        self.cgi = cgi
        self.template = template
        self.inline = inline
        self.request = RequestHeadCopy(request)
        body = request.body
        rules = ResponseProtocol(isHeadRequest: request.isHead)
    }

    /// Makes this the exchange of `request`, of the connection `cgi` and `template` belong to. Only
    /// while nothing else holds it.
    func reuse(for request: borrowing IncomingRequest, cgi: CGIContext, template: ConnectionTemplate) {
        // Most requests come from the connection before: no reference to count.
        if cgi !== self.cgi {
            self.cgi = cgi
            self.template = template
        }
        self.request.load(request)
        body = request.body
        rules = ResponseProtocol(isHeadRequest: request.isHead)
    }

    /// The exchange a `_swiftwsgi` context points at.
    static func unretained(_ address: UnsafeMutableRawPointer) -> PythonExchange {
        Unmanaged<PythonExchange>.fromOpaque(address).takeUnretainedValue()
    }

    // MARK: ResponseSource

    func next(into sink: any PartSink) -> ResponsePart {
        if let file = pendingFile {
            pendingFile = nil
            return .file(file)
        }
        let thread = PythonThread.current
        thread.acquire()
        DeferredReleases.drain()
        defer { if !inline { thread.release() } }
        self.thread = thread
        workspace = thread.workspace(for: application)
        self.sink = sink
        defer { self.sink = nil }
        switch rules.stage {
        case .ready: return callApplication(on: thread)
        case .iterating: return pull(on: thread)
        case .running: preconditionFailure("next(into:) while the application runs: the core pulls one part at a time")
        case .finished: return .end
        }
    }

    func close() {
        pendingFile = nil
        rules.finish()
        guard objects != nil || !result.isNone else { return }  // never called: no Python to touch
        // The thread of the last step: close() runs where the steps ran.
        let thread = self.thread ?? PythonThread.current
        thread.acquire()
        defer { if !inline { thread.release() } }
        closeResult(on: thread)
        if let objects {
            workspace!.callObjects.giveBack(objects)
            self.objects = nil
        }
    }

    // MARK: Calling the application

    private func callApplication(on thread: PythonThread) -> ResponsePart {
        rules.applicationCalled()
        let workspace = workspace!
        guard let objects = workspace.callObjects.take() else { return failWithException(on: thread) }
        objects.attach(exchange: Unmanaged.passUnretained(self).toOpaque(), body: body.map(RequestInputs.address))
        self.objects = objects
        let variables = request.variables(context: cgi)
        guard let template = template.get({ workspace.environ.connectionTemplate(variables, server: cgi.server) }),
              let environ = workspace.environ.build(variables, template: template, input: objects.input) else {
            return failWithException(on: thread)
        }
        thread.runsApplication = true
        let returned = application.call(environ: environ, startResponse: objects.startResponse)
        thread.runsApplication = false
        Py_DECREF(environ)
        guard let returned else { return failWithException(on: thread) }
        rules.applicationReturned()
        return begin(returned, on: thread)
    }

    /// Starts sending what the application returned (owned).
    private func begin(_ returned: PythonObject, on thread: PythonThread) -> ResponsePart {
        if swsgi_is_exact_list(returned) != 0 || swsgi_is_exact_tuple(returned) != 0 {
            result = .sequence(returned, isList: swsgi_is_exact_list(returned) != 0, next: 0)
            return pull(on: thread)
        }
        if swsgi_is_bytes(returned) != 0 || swsgi_is_unicode(returned) != 0 {
            let kind = String(cString: swsgi_type_name(returned))
            Py_DECREF(returned)
            return fail("the application returned a \(kind) object instead of an iterable of bytes: return [body]")
        }
        if UnsafeMutableRawPointer(swsgi_type(returned)) == UnsafeMutableRawPointer(application.fileWrapperType) {
            result = .file(returned)
            if let head = fileResponse(returned) { return head }
        }
        let iterator = PyObject_GetIter(returned)
        result = .iterable(returned, iterator: iterator)
        guard iterator != nil else { return failWithException(on: thread) }
        return pull(on: thread)
    }

    /// The next non-empty chunk of the body, as a part (with the head when it is the first).
    private func pull(on thread: PythonThread) -> ResponsePart {
        while true {
            let item: PythonObject
            let isLast: Bool
            switch result {
            case .sequence(let sequence, let isList, let next):
                let count = isList ? swsgi_list_size(sequence) : swsgi_tuple_size(sequence)
                guard next < count else { return end() }
                item = Py_NewRef(isList ? swsgi_list_item(sequence, next) : swsgi_tuple_item(sequence, next))
                result = .sequence(sequence, isList: isList, next: next + 1)
                isLast = next + 1 == count
            case .iterable(_, let iterator?):
                thread.runsApplication = true
                let next = PyIter_Next(iterator)
                thread.runsApplication = false
                guard let next else { return PyErr_Occurred() != nil ? failWithException(on: thread) : end() }
                item = next
                isLast = false
            case .iterable(_, nil), .file, .none:
                return end()
            }
            guard swsgi_is_bytes(item) != 0 else {
                let reason = Self.notBytes(item)
                Py_DECREF(item)
                return fail(reason)
            }
            do {
                if let part = try rules.chunk(chunk(adopting: item), isLast: isLast) { return part }
            } catch {
                return fail("\(error)")
            }
        }
    }

    /// A view of the `bytes` object `item` (owned) for the core.
    private func chunk(adopting item: PythonObject) -> Bytes {
        inline ? PythonBytes.view(adopting: item, reusing: &workspace!.chunkOwner) : PythonBytes.view(adopting: item, takesGIL: false)
    }

    private func end() -> ResponsePart {
        do {
            return try rules.end()
        } catch {
            return fail("\(error)")
        }
    }

    /// Why a body item that is not `bytes` is refused; for `str` (Python 2 era examples such as the
    /// classic `return [response_body]`), the fix.
    private static func notBytes(_ item: PythonObject) -> String {
        guard swsgi_is_unicode(item) != 0 else {
            return "the response body must yield bytes, not \(Python.describe(item))"
        }
        return "the response body yielded str \(Python.describe(item).dropFirst(4)), not bytes: "
            + "on Python 3 a WSGI body is bytes; encode it (return [response_body.encode()]) or use bytes literals (b'...')"
    }

    // MARK: Files

    /// When the application returned the server's own `wsgi.file_wrapper` around a regular file:
    /// the head now, then the file from its current position, sent by the core (sendfile(2)),
    /// never more than a Content-Length the application gave. Anything else (a BytesIO, a pipe,
    /// data already written) is iterated.
    private func fileResponse(_ wrapper: PythonObject) -> ResponsePart? {
        guard let file = PyObject_GetAttrString(wrapper, "filelike") else {
            PyErr_Clear()
            return nil
        }
        defer { Py_DECREF(file) }
        let descriptor = PyObject_AsFileDescriptor(file)
        var status = stat()
        guard descriptor >= 0, fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            PyErr_Clear()
            return nil
        }
        // The file object's own position (a buffered reader may have read ahead of it).
        guard let offset = Self.position(of: file, descriptor: descriptor),
              let (head, length) = rules.file(available: max(0, Int(status.st_size) - offset)) else { return nil }
        pendingFile = FileSlice(descriptor: descriptor, offset: offset, length: length)
        return head
    }

    private static func position(of file: PythonObject, descriptor: Int32) -> Int? {
        if let tell = PyObject_GetAttrString(file, "tell") {
            defer { Py_DECREF(tell) }
            if let position = PyObject_CallNoArgs(tell) {
                defer { Py_DECREF(position) }
                let value = PyLong_AsSsize_t(position)
                if value >= 0 { return value }
            }
        }
        PyErr_Clear()
        let offset = lseek(descriptor, 0, SEEK_CUR)
        return offset >= 0 ? Int(offset) : nil
    }

    // MARK: Ending

    /// Gives back the result, calling its `close()` when it is not an exact list or tuple.
    private func closeResult(on thread: PythonThread) {
        let closing = result
        result = .none
        switch closing {
        case .none:
            return
        case .sequence(let sequence, _, _):
            Py_DECREF(sequence)
        case .iterable(let iterable, let iterator):
            Py_XDECREF(iterator)
            callClose(iterable, on: thread)
            Py_DECREF(iterable)
        case .file(let wrapper):
            callClose(wrapper, on: thread)
            Py_DECREF(wrapper)
        }
    }

    private func callClose(_ iterable: PythonObject, on thread: PythonThread) {
        guard let close = PyObject_GetAttr(iterable, application.closeName) else {
            PyErr_Clear()
            return
        }
        defer { Py_DECREF(close) }
        thread.runsApplication = true
        let outcome = PyObject_CallNoArgs(close)
        thread.runsApplication = false
        guard let outcome else {
            let exception = PythonException.take()
            application.logger.error("Error closing the response of \(requestDescription)\n\(exception.formatted(support: application.support))")
            return
        }
        Py_DECREF(outcome)
    }

    /// The application raised: its traceback in the error log with the request, then a 500 (or,
    /// once the head is out, an abort the client sees as a truncated response).
    private func failWithException(on thread: PythonThread) -> ResponsePart {
        let exception = PythonException.take()
        application.logger.error("Error handling request \(requestDescription)\n\(exception.formatted(support: application.support))")
        return rules.fail()
    }

    /// The application broke the protocol: one log line naming the problem, then as above.
    private func fail(_ reason: String) -> ResponsePart {
        application.logger.error("Error handling request \(requestDescription): \(reason)")
        return rules.fail()
    }

    /// `METHOD target`, for log lines.
    private var requestDescription: String {
        let variables = request.variables(context: cgi)
        let text = { (range: Range<Int>) in String(decoding: UnsafeRawBufferPointer(rebasing: variables.bytes[range]), as: UTF8.self) }
        return "\(text(variables.head.method)) \(text(variables.head.target))"
    }

    // MARK: start_response and write (called from the application, GIL held)

    func startResponse(status: PythonObject, headers: PythonObject, excInfo: PythonObject?) -> PythonObject? {
        guard let objects, PythonThread.isCurrent(thread) else {
            return RaisedError.runtime("start_response() called outside the request's own thread").raise()
        }
        do {
            if try rules.startResponse(withError: excInfo != nil) == .reraise { return reraise(excInfo!) }
        } catch {
            return RaisedError.runtime("\(error)").raise()
        }
        do {
            rules.accept(try workspace!.startResponseArguments.head(status: status, headers: headers))
        } catch {
            return error.raise()
        }
        return Py_NewRef(objects.write)
    }

    /// Raises the application's own error again (`exc_info` once the head is out, PEP 3333).
    private func reraise(_ excInfo: PythonObject) -> PythonObject? {
        let none = swsgi_none()
        guard swsgi_is_tuple(excInfo) != 0, swsgi_tuple_size(excInfo) == 3,
              let type = swsgi_tuple_item(excInfo, 0), let value = swsgi_tuple_item(excInfo, 1), value != none,
              let traceback = swsgi_tuple_item(excInfo, 2) else {
            return RaisedError.type("start_response() exc_info must be the (type, value, traceback) of sys.exc_info()").raise()
        }
        PyErr_Restore(Py_NewRef(type), Py_NewRef(value), traceback == none ? nil : Py_NewRef(traceback))
        return nil
    }

    /// `write(data)`: on its way before this returns (the core's ``PartSink``).
    func write(_ data: PythonObject) -> PythonObject? {
        guard let thread, PythonThread.isCurrent(thread) else {
            return RaisedError.runtime("write() called outside the request's own thread").raise()
        }
        guard swsgi_is_bytes(data) != 0 else { return RaisedError.type("write() takes bytes, not \(Python.describe(data))").raise() }
        do {
            guard let part = try rules.write(PythonBytes.view(adopting: Py_NewRef(data), takesGIL: inline)) else {
                return Py_NewRef(swsgi_none())
            }
            guard let sink else { throw ResponseAbandoned() }
            // A push that waited (for the client, or the loop) gave the GIL away.
            defer { thread.acquire() }
            try sink.push(part)
        } catch let error as ResponseAbandoned {
            return RaisedError.os("write(): \(error)").raise()
        } catch {
            return RaisedError.runtime("write(): \(error)").raise()
        }
        return Py_NewRef(swsgi_none())
    }
}

extension PythonExchange.Result {
    var isNone: Bool {
        if case .none = self { return true }
        return false
    }
}
