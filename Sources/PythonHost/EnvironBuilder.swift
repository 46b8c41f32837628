import CPython
import CPythonShim
import HTTP1Parser
import HTTPServerCore
import SharedBytes
import WSGIGateway

/// Builds each request's environ: PEP 3333's `dict`, with its native strings as `str` decoded 1:1
/// from the request's bytes as ISO-8859-1 (so PATH_INFO is the percent-decoded path's bytes read
/// as latin-1, which is what Werkzeug and Django re-encode). The variables and their rules are
/// ``CGIVariables``' (one mapping for every runtime).
///
/// Three layers, so that a request sets only what is its own:
/// - the server's template (`wsgi.*`, SERVER_SOFTWARE, GATEWAY_INTERFACE), made once;
/// - a connection's template (a ``ConnectionTemplate``): the server's plus the connection's
///   addresses and a placeholder for every variable each request sets, made at its first request;
/// - a request's environ: a copy of its connection's template (a copy of a dict is a block copy),
///   its own values put over the placeholders (no key is added, no table grows), then its
///   optional variables and headers.
///
/// One builder per thread (``ThreadWorkspace``); it owns its template and cached keys. With the
/// GIL held.
struct EnvironBuilder {
    private let strings: EnvironStrings
    private let errors: PythonObject
    private let fileWrapper: PythonObject
    /// The server's template (owned), made for the first request of `templateServer`.
    private var serverTemplate: PythonObject?
    private var templateServer: ServerInfo?
    private var headerKeys = HeaderKeys()

    /// `errors` and `fileWrapper` are borrowed (the application keeps them alive).
    init(strings: EnvironStrings, errors: PythonObject, fileWrapper: PythonObject) {
        self.strings = strings
        self.errors = errors
        self.fileWrapper = fileWrapper
    }

    /// A new environ for `variables` with `input` as `wsgi.input`, on `template` (the request's
    /// connection template). new, or nil with a Python error set (memory).
    mutating func build(_ variables: CGIVariables, template: PythonObject, input: PythonObject) -> PythonObject? {
        guard let environ = PyDict_Copy(template) else { return nil }
        var filling = Filling(environ: environ, strings: strings)
        let head = variables.head
        let bytes = variables.bytes
        filling.set(.requestMethod, strings.method(UnsafeRawBufferPointer(rebasing: bytes[head.method])))
        variables.withPath { scriptName, pathInfo in
            if !scriptName.isEmpty { filling.set(.scriptName, Python.latin1(scriptName)) }
            filling.set(.pathInfo, Python.latin1(pathInfo))
        }
        if let query = head.query, !query.isEmpty { filling.set(.queryString, Python.latin1(UnsafeRawBufferPointer(rebasing: bytes[query]))) }
        switch head.version {
        case .http1_1: break
        case .http1_0: filling.set(.serverProtocol, Py_NewRef(strings.http10))
        case .http2: filling.set(.serverProtocol, Py_NewRef(strings.http2))
        }
        let target = Python.latin1(UnsafeRawBufferPointer(rebasing: bytes[head.target]))
        filling.set(.requestURI, target.map { Py_NewRef($0) })
        filling.set(.rawURI, target)
        variables.withValue(of: .contentType) { filling.set(.contentType, Python.latin1($0)) }
        variables.withValue(of: .contentLength) { filling.set(.contentLength, Python.latin1($0)) }
        variables.forEachHeader { fieldName, value in
            guard let key = headerKeys.key(fieldName: fieldName) else { return filling.complete = false }
            filling.set(key, Python.latin1(value))
            Py_DECREF(key)
        }
        if let forwarded = variables.forwarded {
            if let client = forwarded.client { filling.set(.remoteAddr, Python.string(client)) }
            if let scheme = forwarded.scheme { filling.set(strings.urlScheme, Python.string(scheme)) }
        }
        filling.set(strings.input, Py_NewRef(input))
        guard filling.complete else {
            Py_DECREF(environ)
            return nil
        }
        return environ
    }

    /// Puts a request's values into its environ, noting whether all went in.
    private struct Filling {
        let environ: PythonObject
        let strings: EnvironStrings
        var complete = true

        mutating func set(_ variable: CGIVariable, _ value: PythonObject?) {
            set(strings[variable], value)
        }

        mutating func set(_ key: PythonObject, _ value: PythonObject?) {
            if !EnvironBuilder.set(environ, key, value) { complete = false }
        }
    }

    /// Gives back the server template and the cached header keys (the workspace goes).
    mutating func releaseTemplates() {
        if let serverTemplate { Py_DECREF(serverTemplate) }
        serverTemplate = nil
        templateServer = nil
        headerKeys.releaseAll()
    }

    /// The template of the connection of `variables`'s request. new, or nil with a Python error set.
    mutating func connectionTemplate(_ variables: CGIVariables, server: ServerInfo) -> PythonObject? {
        if templateServer !== server {
            if let serverTemplate { Py_DECREF(serverTemplate) }
            serverTemplate = makeServerTemplate(server)
            templateServer = server
        }
        guard let serverTemplate, let template = PyDict_Copy(serverTemplate) else { return nil }
        var complete = true
        for variable in [CGIVariable.serverName, .serverPort, .remotePort] {
            variables.withValue(of: variable) { if !Self.set(template, strings[variable], Python.latin1($0)) { complete = false } }
        }
        // The socket's peer: a trusted proxy's forwarding headers are each request's own.
        if !variables.connection.isUnixSocket, !Self.set(template, strings[.remoteAddr], Python.string(variables.connection.remoteAddress)) {
            complete = false
        }
        // Placeholders for what every request sets (SCRIPT_NAME and QUERY_STRING stay "" unless it
        // has one, SERVER_PROTOCOL HTTP/1.1 unless it is a 1.0 request).
        for variable in [CGIVariable.requestMethod, .scriptName, .pathInfo, .queryString, .requestURI, .rawURI] {
            if !Self.set(template, strings[variable], Py_NewRef(strings.empty)) { complete = false }
        }
        if !Self.set(template, strings[.serverProtocol], Py_NewRef(strings.http11)) { complete = false }
        // A TLS connection: https, and mod_ssl's variables.
        let cgi = variables.context
        if cgi.urlScheme != server.urlScheme, !Self.set(template, strings.urlScheme, Python.string(cgi.urlScheme)) { complete = false }
        for (name, value) in cgi.securityVariables {
            let key = Python.interned(name)
            if !Self.set(template, key, Python.string(value)) { complete = false }
            Py_DECREF(key)
        }
        if !Self.set(template, strings.input, Py_NewRef(swsgi_none())) { complete = false }
        guard complete else {
            Py_DECREF(template)
            return nil
        }
        return template
    }

    private func makeServerTemplate(_ server: ServerInfo) -> PythonObject? {
        guard let dict = PyDict_New() else { return nil }
        let boolean = { (value: Bool) in Py_NewRef(value ? swsgi_true() : swsgi_false()) }
        let version = PyTuple_New(2)
        if let version {
            PyTuple_SetItem(version, 0, PyLong_FromLong(1))
            PyTuple_SetItem(version, 1, PyLong_FromLong(0))
        }
        let entries: [(String, PythonObject?)] = [
            ("wsgi.version", version),
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
        var complete = true
        for (name, value) in entries {
            let key = Python.interned(name)
            if !Self.set(dict, key, value) { complete = false }
            Py_DECREF(key)
        }
        guard complete else {
            Py_DECREF(dict)
            return nil
        }
        return dict
    }

    /// `dict[key] = value`, taking over the (owned) value. False when the value is nil or the
    /// dict refused it (memory).
    fileprivate static func set(_ dict: PythonObject, _ key: PythonObject, _ value: PythonObject?) -> Bool {
        guard let value else { return false }
        defer { Py_DECREF(value) }
        return PyDict_SetItem(dict, key, value) == 0
    }
}

/// The `str` objects every environ uses: the keys (interned: their hashes are computed once), and
/// the values that repeat from request to request (methods, protocols, the empty string).
///
/// Made once with the GIL held, then never changed nor released (they live as long as the
/// interpreter), so `@unchecked Sendable` is sound: any thread holding the GIL reads them.
final class EnvironStrings: @unchecked Sendable {
    private let keys: [PythonObject]
    let input: PythonObject
    let urlScheme: PythonObject
    let empty: PythonObject
    let http11: PythonObject
    let http10: PythonObject
    let http2: PythonObject
    private let methods: [(name: [UInt8], string: PythonObject)]

    init() {
        keys = CGIVariable.allCases.map { Python.interned($0.name) }
        input = Python.interned("wsgi.input")
        urlScheme = Python.interned("wsgi.url_scheme")
        empty = Python.interned("")
        http11 = Python.interned("HTTP/1.1")
        http10 = Python.interned("HTTP/1.0")
        http2 = Python.interned("HTTP/2")
        methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"].map { (Array($0.utf8), Python.interned($0)) }
    }

    /// The key of `variable`. borrowed.
    subscript(variable: CGIVariable) -> PythonObject { keys[variable.rawValue] }

    /// The method `bytes` as a `str`: a shared one for the common methods. new.
    func method(_ bytes: UnsafeRawBufferPointer) -> PythonObject? {
        for method in methods where method.name.count == bytes.count && method.name.elementsEqual(bytes) {
            return Py_NewRef(method.string)
        }
        return Python.latin1(bytes)
    }
}

/// The `HTTP_*` keys of the header names a thread meets: the first names seen are kept (with their
/// keys interned), so the usual headers cost no string making; any other name gets a fresh key.
/// Owns its keys. With the GIL held.
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

    mutating func releaseAll() {
        for entry in entries { Py_DECREF(entry.key) }
        entries = []
    }

    private static func sameName(_ known: [UInt8], _ name: UnsafeRawBufferPointer) -> Bool {
        known.withUnsafeBytes { ASCIICase.equal($0, name) }
    }
}
