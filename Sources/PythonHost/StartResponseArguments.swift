import CPython
import CPythonShim
import HTTPServerCore
import WSGI
import WSGIGateway

/// An error `start_response`, `write` or `wsgi.input` raises in the application: a Python
/// exception class and its message.
/// A Python exception to raise, as a Swift error until it is raised.
public struct RaisedError: Error {
    enum Kind {
        case type, value, runtime, os
    }

    let kind: Kind
    let message: String

    public static func type(_ message: String) -> RaisedError { RaisedError(kind: .type, message: message) }
    public static func value(_ message: String) -> RaisedError { RaisedError(kind: .value, message: message) }
    public static func runtime(_ message: String) -> RaisedError { RaisedError(kind: .runtime, message: message) }
    public static func os(_ message: String) -> RaisedError { RaisedError(kind: .os, message: message) }

    /// Sets it as the current Python exception; returns nil, what a failing C callback returns.
    public func raise() -> PythonObject? {
        let type: PythonObject
        switch kind {
        case .type: type = swsgi_type_error()
        case .value: type = swsgi_value_error()
        case .runtime: type = swsgi_runtime_error()
        case .os: type = swsgi_os_error()
        }
        PyErr_Clear()
        PyErr_SetString(type, message)
        return nil
    }
}

/// Checks what an application passed to `start_response` (PEP 3333: `status` a `str` such as
/// `"200 OK"`, `response_headers` a `list` of `(str, str)` tuples; the values' rules are
/// ``ResponseRules``': ISO-8859-1, no CR/LF, token names, no hop-by-hop header) and encodes it as
/// the core's ``ResponseHead``.
///
/// Applications mostly answer with the same status and headers again and again, so the last
/// accepted pair and its encoding are kept (references to the status and to a shallow copy of the
/// list: its tuples and strings are immutable): equal arguments, compared by identity first, then
/// by value, reuse the encoding. One per thread (``ThreadWorkspace``); owns its references.
struct StartResponseArguments {
    private var lastStatus: PythonObject?
    private var lastHeaders: PythonObject?
    private var lastHead: ResponseHead?

    mutating func head(status: PythonObject, headers: PythonObject) throws(RaisedError) -> ResponseHead {
        guard swsgi_is_unicode(status) != 0 else {
            throw .type("start_response() status must be a str such as '200 OK', not \(Python.describe(status))")
        }
        guard swsgi_is_list(headers) != 0 else {
            throw .type("start_response() response_headers must be a list of (name, value) tuples, not \(Python.describe(headers))")
        }
        if let lastHead, matchesLast(status: status, headers: headers) { return lastHead }
        let head = try Self.encode(status: status, headers: headers)
        remember(status: status, headers: headers, head: head)
        return head
    }

    /// Checks and encodes. Static: describing a bad value may run the application's Python code
    /// (a `__repr__`), which must find no mutation of this cache in progress.
    private static func encode(status: PythonObject, headers: PythonObject) throws(RaisedError) -> ResponseHead {
        do {
            guard let statusUTF8 = Python.utf8(status) else { throw RaisedError.value("start_response() status is not encodable text") }
            let builder = try ResponseHeadBuilder(statusUTF8: statusUTF8)
            for index in 0..<swsgi_list_size(headers) {
                let header = swsgi_list_item(headers, index)!
                guard swsgi_is_tuple(header) != 0, swsgi_tuple_size(header) == 2,
                      let name = swsgi_tuple_item(header, 0), let value = swsgi_tuple_item(header, 1),
                      swsgi_is_unicode(name) != 0, swsgi_is_unicode(value) != 0 else {
                    throw RaisedError.type("start_response() header \(index) must be a (str, str) tuple, not \(Python.describe(header))")
                }
                guard let nameUTF8 = Python.utf8(name), let valueUTF8 = Python.utf8(value) else {
                    throw RaisedError.value("start_response() header \(index) is not encodable text")
                }
                try builder.add(nameUTF8: nameUTF8, valueUTF8: valueUTF8)
            }
            return builder.finish()
        } catch let error as RaisedError {
            throw error
        } catch {
            throw .value("start_response(): \(error)")
        }
    }

    private func matchesLast(status: PythonObject, headers: PythonObject) -> Bool {
        guard let lastStatus, let lastHeaders, Self.same(status, lastStatus) else { return false }
        let count = swsgi_list_size(headers)
        guard count == swsgi_list_size(lastHeaders) else { return false }
        for index in 0..<count {
            let header = swsgi_list_item(headers, index)!
            let known = swsgi_list_item(lastHeaders, index)!
            if header == known { continue }
            // `known` passed the checks: a (str, str) tuple.
            guard swsgi_is_tuple(header) != 0, swsgi_tuple_size(header) == 2,
                  Self.same(swsgi_tuple_item(header, 0), swsgi_tuple_item(known, 0)),
                  Self.same(swsgi_tuple_item(header, 1), swsgi_tuple_item(known, 1)) else { return false }
        }
        return true
    }

    /// Equal strings: `known` is a `str`; `candidate` may be anything.
    private static func same(_ candidate: PythonObject?, _ known: PythonObject?) -> Bool {
        guard let candidate, let known else { return false }
        return candidate == known || (swsgi_is_unicode(candidate) != 0 && PyUnicode_Compare(candidate, known) == 0)
    }

    /// Gives back the kept arguments (the workspace goes). With the GIL held.
    mutating func releaseAll() {
        let (status, headers) = (lastStatus, lastHeaders)
        lastStatus = nil
        lastHeaders = nil
        lastHead = nil
        Py_XDECREF(status)
        Py_XDECREF(headers)
    }

    private mutating func remember(status: PythonObject, headers: PythonObject, head: ResponseHead) {
        // Allocated before anything changes here: the allocation may run Python code (a collection).
        guard let snapshot = PyList_GetSlice(headers, 0, swsgi_list_size(headers)) else {
            PyErr_Clear()
            return
        }
        let oldStatus = lastStatus
        let oldHeaders = lastHeaders
        lastStatus = Py_NewRef(status)
        lastHeaders = snapshot
        lastHead = head
        // Releasing may run Python code too (finalizers): last, with the cache consistent.
        Py_XDECREF(oldStatus)
        Py_XDECREF(oldHeaders)
    }
}
