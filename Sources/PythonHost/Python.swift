import CPython
import CPythonShim

/// A Python object as CPython's C API passes it. Whether a given pointer is owned (a reference
/// this code must give back with `Py_DECREF`, with the GIL held) or borrowed is stated where it is
/// stored or returned; every owned one has exactly one owner.
public typealias PythonObject = UnsafeMutablePointer<PyObject>

/// Small conversions, with the GIL held.
public enum Python {
    /// A `str` of ISO-8859-1 `bytes` (every byte one code point: PEP 3333's native strings). new.
    static func latin1(_ bytes: UnsafeRawBufferPointer) -> PythonObject? {
        PyUnicode_DecodeLatin1(bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count, nil)
    }

    /// A `str` of Swift text. new.
    public static func string(_ text: String) -> PythonObject? {
        var text = text
        return text.withUTF8 { PyUnicode_FromStringAndSize(UnsafeRawPointer($0.baseAddress)?.assumingMemoryBound(to: CChar.self), $0.count) }
    }

    /// An interned `str`, for dict keys looked up on every request (its hash is computed once).
    /// new.
    static func interned(_ text: String) -> PythonObject {
        PyUnicode_InternFromString(text)!
    }

    /// The UTF-8 of a `str`: CPython caches it in the object (ASCII text is its own UTF-8), so the
    /// bytes stay valid while the object lives and are not copied. nil when `object` is not a
    /// `str` or has no UTF-8 form (lone surrogates); no Python error is left set.
    static func utf8(_ object: PythonObject) -> UnsafeRawBufferPointer? {
        guard swsgi_is_unicode(object) != 0 else { return nil }
        var length = 0
        guard let utf8 = PyUnicode_AsUTF8AndSize(object, &length) else {
            PyErr_Clear()
            return nil
        }
        return UnsafeRawBufferPointer(start: utf8, count: length)
    }

    /// Swift text of a `str`; nil (and the Python error cleared) when it is not one.
    public static func text(_ object: PythonObject) -> String? {
        utf8(object).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The Swift texts of a list of `str`; nil when it is not one (no Python error set).
    public static func strings(_ list: PythonObject) -> [String]? {
        guard swsgi_is_list(list) != 0 else { return nil }
        var texts: [String] = []
        for index in 0..<swsgi_list_size(list) {
            guard let text = text(swsgi_list_item(list, index)) else { return nil }
            texts.append(text)
        }
        return texts
    }

    /// A short description of a value for error messages: its type and a bounded repr.
    static func describe(_ object: PythonObject) -> String {
        let type = String(cString: swsgi_type_name(object))
        guard let repr = PyObject_Repr(object) else {
            PyErr_Clear()
            return type
        }
        defer { Py_DECREF(repr) }
        let text = Python.text(repr) ?? "?"
        return text.count > 60 ? "\(type) \(text.prefix(57))..." : "\(type) \(text)"
    }
}
