import CPython
import CPythonShim
import HTTPServerCore
import Logging
import SharedBytes

/// What the `_swiftwsgi` module's objects call back into: `start_response` and `write` reach their
/// exchange, `wsgi.input` its request body, `wsgi.errors` the log. C function pointers, installed
/// once before the interpreter starts; each runs on the thread of the Python code calling it, with
/// the GIL held.
enum HostCallbacks {
    /// Where `wsgi.errors` goes (Flask's request log, tracebacks an application prints there).
    static let errorLog = Logger(label: "swift-wsgi.errors")

    /// Registers the `_swiftwsgi` module with the host's callbacks: as a built-in of an interpreter
    /// about to start (`embedded`), else in the running interpreter's `sys.modules` (GIL held).
    static func install(embedded: Bool) -> Bool {
        var callbacks = swsgi_callbacks(
            start_response: { exchange, status, headers, excInfo in
                PythonExchange.unretained(exchange!).startResponse(status: status!, headers: headers!, excInfo: excInfo)
            },
            write: { exchange, data in
                PythonExchange.unretained(exchange!).write(data!)
            },
            input_read: { address, size in
                let body = RequestInputs.body(address!)
                return HostCallbacks.bytes { try body.read(size) }
            },
            input_readline: { address, size in
                let body = RequestInputs.body(address!)
                return HostCallbacks.bytes { try body.readline(size) }
            },
            log: { utf8, length in
                HostCallbacks.errorLog.error("\(String(decoding: UnsafeRawBufferPointer(start: utf8, count: length), as: UTF8.self))")
            }
        )
        return (embedded ? swsgi_prepare_module(&callbacks) : swsgi_install_module(&callbacks)) == 0
    }

    /// A `bytes` copy of what `read` returns (request body bytes: the body object reuses its
    /// memory), or nil with `OSError` raised when reading fails (a spool file error, a client gone).
    /// A read that waits for the client gives the GIL away meanwhile
    /// (``PythonGateway/threadWillWait()``), so that other Python threads run: it is taken back here.
    fileprivate static func bytes(_ read: () throws -> SharedBytes.Bytes) -> PythonObject? {
        let data = Result(catching: read)
        PythonThread.current.acquire()
        do {
            return try data.get().withUnsafeBytes { PyBytes_FromStringAndSize($0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count) }
        } catch {
            return RaisedError.os("reading the request body failed: \(error)").raise()
        }
    }
}

/// The request bodies `wsgi.input` objects point at.
enum RequestInputs {
    /// The address a `wsgi.input` object keeps for `body` (unretained: the exchange keeps the body
    /// alive while the input points at it, and detaches the input before letting go).
    static func address(of body: RequestBody) -> UnsafeMutableRawPointer {
        Unmanaged.passUnretained(body).toOpaque()
    }

    static func body(_ address: UnsafeMutableRawPointer) -> RequestBody {
        Unmanaged<RequestBody>.fromOpaque(address).takeUnretainedValue()
    }
}
