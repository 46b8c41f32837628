import CPython
import Foundation
import HTTPServerCore
import Logging
@testable import ConnectionHarness
@testable import PythonHost

/// The interpreter embedded in the test process, started once with `Fixtures/` on `sys.path`, and
/// its `gateway_app` application. The thread that starts it gives the GIL away at once: every test
/// thread takes it when its connection runs Python, and gives it back when its "loop" waits
/// (``MemoryConnection`` tells the responder after each delivery).
enum PythonTestHost {
    static let application: PythonApplication = {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
        do {
            return try PythonInterpreter.embeddedApplication("gateway_app:application", paths: [fixtures])
        } catch {
            fatalError("cannot start the test application: \(error)")
        }
    }()

    /// A connection to `gateway_app` in memory (inline: the test's thread is its loop thread).
    static func connection(deferring: Bool = false, configure: (inout ServerConfiguration) -> Void = { _ in }) throws -> MemoryConnection {
        let responder = application.responder
        return try MemoryConnection(deferring: deferring, configure: configure) { _ in responder }
    }

    /// `repr(eval(expression))` in `gateway_app`'s namespace, with the GIL taken and given back.
    static func evaluate(_ expression: String) -> String {
        _ = application
        let thread = PythonThread.current
        thread.acquire()
        defer { thread.release() }
        guard let module = PyImport_ImportModule("gateway_app"),
              let namespace = PyModule_GetDict(module),
              let value = PyRun_String(expression, Py_eval_input, namespace, namespace),
              let text = PyObject_Repr(value),
              let utf8 = PyUnicode_AsUTF8(text) else {
            PyErr_Print()
            fatalError("cannot evaluate \(expression)")
        }
        defer {
            Py_DecRef(text)
            Py_DecRef(value)
            Py_DecRef(module)
        }
        return String(cString: utf8)
    }

    /// How many tracked blocks are alive (``evaluate(_:)`` of `alive()`).
    static var aliveBlocks: Int { Int(evaluate("alive()")) ?? -1 }

    /// The events the application recorded, taken (the list is emptied).
    static func takeEvents() -> [String] {
        let text = evaluate("[events.copy(), events.clear()][0]")
        return text.dropFirst().dropLast().split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " '")) }
    }

    /// Whether the calling thread holds the GIL.
    static var holdsGIL: Bool { PythonThread.currentIfAttached?.holdsGIL ?? false }
}
