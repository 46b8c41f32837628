import CPython
import CPythonShim
import HTTPServerCore
import WSGIGateway

/// Builds each request's environ: PEP 3333's `dict`, with its native strings as `str` decoded 1:1
/// from the request's bytes as ISO-8859-1 (so PATH_INFO is the percent-decoded path's bytes read
/// as latin-1, which is what Werkzeug and Django re-encode).
///
/// A request's environ is a copy of a template holding what every request of the server shares
/// (the `wsgi.*` entries, SERVER_SOFTWARE, GATEWAY_INTERFACE), plus the request's CGI variables
/// (``CGIVariables``, one mapping for every runtime) under interned keys, plus its `wsgi.input`.
///
/// Owns the template and the keys for the interpreter's life. With the GIL held.
struct EnvironBuilder {
    /// The key of each ``CGIVariable``, by raw value; interned.
    private let variableKeys: [PythonObject]
    private let inputKey: PythonObject
    /// `wsgi.errors` and `wsgi.file_wrapper` (owned).
    private let errors: PythonObject
    private let fileWrapper: PythonObject
    /// The template, made for the first request of `templateServer` (the server's facts are known
    /// only then).
    private var template: PythonObject?
    private var templateServer: ServerInfo?
    private var headerKeys = HeaderKeys()

    /// - Parameters: errors, fileWrapper: borrowed; the builder keeps its own references.
    init(errors: PythonObject, fileWrapper: PythonObject) {
        variableKeys = CGIVariable.allCases.map { Python.interned($0.name) }
        inputKey = Python.interned("wsgi.input")
        self.errors = Py_NewRef(errors)
        self.fileWrapper = Py_NewRef(fileWrapper)
    }

    /// A new environ for `variables` with `input` as `wsgi.input`. new, or nil with a Python error
    /// set (memory).
    mutating func build(_ variables: CGIVariables, server: ServerInfo, input: PythonObject) -> PythonObject? {
        if templateServer !== server { makeTemplate(server) }
        guard let template, let environ = PyDict_Copy(template) else { return nil }
        var failed = false
        variables.forEach { name, value in
            let key: PythonObject
            switch name {
            case .variable(.serverSoftware), .variable(.gatewayInterface):
                return  // in the template
            case .variable(let variable):
                key = Py_NewRef(variableKeys[variable.rawValue])
            case .header(let fieldName):
                guard let headerKey = headerKeys.key(fieldName: fieldName) else { return failed = true }
                key = headerKey
            }
            defer { Py_DECREF(key) }
            guard let string = Python.latin1(value) else { return failed = true }
            if PyDict_SetItem(environ, key, string) < 0 { failed = true }
            Py_DECREF(string)
        }
        if failed || PyDict_SetItem(environ, inputKey, input) < 0 {
            Py_DECREF(environ)
            return nil
        }
        return environ
    }

    private mutating func makeTemplate(_ server: ServerInfo) {
        if let template { Py_DECREF(template) }
        template = nil
        templateServer = server
        guard let dict = PyDict_New() else { return }
        let boolean = { (value: Bool) in Py_NewRef(value ? swsgi_true() : swsgi_false()) }
        let entries: [(String, PythonObject?)] = [
            ("wsgi.version", PyTuple_Pack2(PyLong_FromLong(1), PyLong_FromLong(0))),
            ("wsgi.url_scheme", Python.string(server.urlScheme)),
            ("wsgi.input_terminated", boolean(true)),
            ("wsgi.errors", Py_NewRef(errors)),
            ("wsgi.file_wrapper", Py_NewRef(fileWrapper)),
            ("wsgi.multithread", boolean(server.multithread)),
            ("wsgi.multiprocess", boolean(server.multiprocess)),
            ("wsgi.run_once", boolean(false)),
            ("SERVER_SOFTWARE", Python.string(server.software)),
            ("GATEWAY_INTERFACE", Python.string("CGI/1.1")),
        ]
        for (name, value) in entries {
            guard let value else { continue }
            let key = Python.interned(name)
            PyDict_SetItem(dict, key, value)
            Py_DECREF(key)
            Py_DECREF(value)
        }
        template = dict
    }
}

/// A `(a, b)` tuple taking over the two (owned) items. new.
private func PyTuple_Pack2(_ first: PythonObject?, _ second: PythonObject?) -> PythonObject? {
    guard let first, let second, let tuple = PyTuple_New(2) else {
        Py_XDECREF(first)
        Py_XDECREF(second)
        return nil
    }
    PyTuple_SetItem(tuple, 0, first)
    PyTuple_SetItem(tuple, 1, second)
    return tuple
}

/// The `HTTP_*` keys of the header names a server meets: the first names seen are kept (with
/// their keys interned), so the usual headers cost no string making; any other name gets a fresh
/// key. With the GIL held.
private struct HeaderKeys {
    private struct Entry {
        let name: [UInt8]
        let key: PythonObject
    }

    private var entries: [Entry] = []
    private static let capacity = 48

    /// The environ key of the field `fieldName` (`HTTP_` and the name upper-cased, `-` as `_`).
    /// new, or nil with a Python error set.
    mutating func key(fieldName: UnsafeRawBufferPointer) -> PythonObject? {
        for entry in entries where entry.name.count == fieldName.count && Self.sameName(entry.name, fieldName) {
            return Py_NewRef(entry.key)
        }
        var key: PythonObject?
        CGIVariables.withHeaderKey(fieldName: fieldName) { key = Python.latin1($0) }
        guard key != nil else { return nil }
        if entries.count < Self.capacity {
            PyUnicode_InternInPlace(&key)
            entries.append(Entry(name: Array(fieldName), key: Py_NewRef(key!)))
        }
        return key
    }

    private static func sameName(_ known: [UInt8], _ name: UnsafeRawBufferPointer) -> Bool {
        for index in 0..<known.count where lower(known[index]) != lower(name[index]) { return false }
        return true
    }

    private static func lower(_ byte: UInt8) -> UInt8 { byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte }
}
