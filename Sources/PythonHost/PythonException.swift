import CPython
import CPythonShim

/// The exception being raised in Python, taken out of the interpreter (its error indicator
/// cleared) to be logged: the server reports application errors, it does not propagate them.
///
/// Owns its three references and gives them back when it goes away; it exists only with the GIL
/// held (a local of code that holds it), hence noncopyable: one owner.
struct PythonException: ~Copyable {
    let type: PythonObject?
    let value: PythonObject?
    let traceback: PythonObject?

    /// Takes the current exception (there must be one).
    static func take() -> PythonException {
        var type: PythonObject?
        var value: PythonObject?
        var traceback: PythonObject?
        PyErr_Fetch(&type, &value, &traceback)
        PyErr_NormalizeException(&type, &value, &traceback)
        if let value, let traceback { PyException_SetTraceback(value, traceback) }
        return PythonException(type: type, value: value, traceback: traceback)
    }

    deinit {
        Py_XDECREF(type)
        Py_XDECREF(value)
        Py_XDECREF(traceback)
    }

    /// The exception's class name and message, on one line (`TypeError: ...`).
    var summary: String {
        guard let value else { return "unknown error" }
        let name = String(cString: swsgi_type_name(value))
        guard let text = PyObject_Str(value) else {
            PyErr_Clear()
            return name
        }
        defer { Py_DECREF(text) }
        let message = Python.text(text) ?? ""
        return message.isEmpty ? name : "\(name): \(message)"
    }

    /// Whether the exception is an instance of `kind` (a borrowed class such as `PyExc_SystemExit`).
    func `is`(_ kind: PythonObject) -> Bool {
        guard let type else { return false }
        return PyErr_GivenExceptionMatches(type, kind) != 0
    }

    /// The traceback as Python prints it, formatted by the support module's `format_exception`.
    func formatted(support: PythonObject) -> String {
        guard let function = PyObject_GetAttrString(support, "format_exception") else {
            PyErr_Clear()
            return summary
        }
        defer { Py_DECREF(function) }
        let none = swsgi_none()
        let arguments: [PythonObject?] = [type ?? none, value ?? none, traceback ?? none]
        guard let text = arguments.withUnsafeBufferPointer({ PyObject_Vectorcall(function, $0.baseAddress, 3, nil) }) else {
            PyErr_Clear()
            return summary
        }
        defer { Py_DECREF(text) }
        return Python.text(text) ?? summary
    }
}
