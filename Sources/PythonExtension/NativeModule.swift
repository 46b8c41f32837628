import CPython
import CPythonShim
import HTTPServerCore
import PythonCommand
import PythonHost

/// `swift_wsgi._native`, the extension module the Python package imports (CPython calls this when
/// the module is first imported, with the GIL held). Its functions (C, in CPythonShim) forward to
/// the table below; `swift_wsgi/__init__.py` and `__main__.py` are their only callers.
@_cdecl("PyInit__native")
public func initializeNativeModule() -> UnsafeMutablePointer<PyObject>? {
    var functions = swsgi_native_functions(
        version: { Python.string(ServerVersion.current) },
        command_info: { Python.string(SwiftWSGICommand.settingsDescription) },
        main: { argv in NativeModule.main(argv!) },
        server_new: { app, host, port, argv in NativeModule.serverNew(app!, host!, port!, argv!) },
        server_address: { handle in NativeModule.withServer(handle!) { $0.address } },
        server_serve: { handle in NativeModule.withServer(handle!) { $0.serve() } },
        server_shutdown: { handle, graceful in
            NativeModule.withServer(handle!) { server in
                server.shutdown(graceful: PyObject_IsTrue(graceful!) == 1)
                return Py_NewRef(swsgi_none())
            }
        },
        server_close: { handle in
            NativeModule.withServer(handle!) { server in
                server.close()
                return Py_NewRef(swsgi_none())
            }
        }
    )
    return swsgi_native_module_create(&functions)
}

/// The bodies of `_native`'s functions. Each runs with the GIL held and returns a new reference,
/// or nil with a Python exception set.
enum NativeModule {
    /// `main(argv)`: the `swift-wsgi` command in this interpreter; its exit status. The GIL is given
    /// away for the command's whole run (it takes it to load the application, and gives it to the
    /// server's threads while serving).
    static func main(_ argv: PythonObject) -> PythonObject? {
        guard let arguments = Python.strings(argv) else { return RaisedError.type("main() takes a list of str").raise() }
        let python = Python.text(PySys_GetObject("executable")) ?? "python3"
        let status = PythonEntry.releasingGIL { SwiftWSGICommand.run(arguments: arguments, python: python) }
        return PyLong_FromLong(Int(status))
    }

    /// `server_new(app, host, port, argv)`: a bound ``PythonServer`` in a capsule.
    static func serverNew(_ app: PythonObject, _ host: PythonObject, _ port: PythonObject, _ argv: PythonObject) -> PythonObject? {
        guard let host = Python.text(host) else { return RaisedError.type("host must be a str").raise() }
        let port = PyLong_AsLong(port)
        if port == -1, PyErr_Occurred() != nil { return nil }
        guard (0...65535).contains(port) else { return RaisedError.value("port must be between 0 and 65535, not \(port)").raise() }
        guard let arguments = Python.strings(argv) else { return RaisedError.type("argv must be a list of str").raise() }
        let server: PythonServer
        do {
            server = try PythonServer(application: app, host: host, port: port, arguments: arguments)
        } catch let error as PythonServer.OptionError {
            return RaisedError.value(error.message).raise()
        } catch {
            return RaisedError.os("cannot serve on \(host):\(port): \(error)").raise()
        }
        return swsgi_capsule_new(Unmanaged.passRetained(server).toOpaque()) { pointer in
            let server = Unmanaged<PythonServer>.fromOpaque(pointer!).takeRetainedValue()
            server.close()
        }
    }

    /// Runs `body` with the server in `handle`, or raises `TypeError`.
    static func withServer(_ handle: PythonObject, _ body: (PythonServer) -> PythonObject?) -> PythonObject? {
        guard let pointer = swsgi_capsule_pointer(handle) else { return nil }
        return body(Unmanaged<PythonServer>.fromOpaque(pointer).takeUnretainedValue())
    }
}
