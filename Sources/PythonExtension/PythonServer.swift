import ArgumentParser
import CPython
import CPythonShim
import Dispatch
import HTTPServerCore
import Logging
import PythonHost
import ServerCommand
import Synchronization
import UVLoop

/// The server `make_server` returns (in a capsule): one application object served in this process,
/// bound when made, as wsgiref's servers are.
///
/// Serving (``serve()``) runs the event loops on threads of their own while the calling Python
/// thread waits without the GIL, looking at Python's signals every ``signalPoll``: Ctrl-C in the
/// main thread stops the server at once and raises `KeyboardInterrupt` in the caller (the
/// package's `serve_forever` turns SIGTERM into a graceful ``shutdown(graceful:)``).
///
/// Thread: made, served and closed from Python threads (with the GIL held on entry); `shutdown`
/// from any. `@unchecked Sendable` is sound: `server`, `interpreter` and `application` are set in
/// `init` and never change (the interpreter is used only by the thread serving or closing, one at
/// a time by ``phase``), and ``phase`` is behind its lock.
final class PythonServer: @unchecked Sendable {
    enum Phase { case ready, serving, stopped, closed }

    /// A bad option: raised as `ValueError` with ArgumentParser's message.
    struct OptionError: Error {
        let message: String
    }

    private let server: HTTPServer
    private let interpreter: PythonInterpreter
    private let application: PythonApplication
    private let phase = Mutex(Phase.ready)
    /// How often a waiting `serve_forever` runs Python's signal handlers.
    static let signalPoll: DispatchTimeInterval = .milliseconds(100)

    /// Binds `host:port` for `application` (borrowed) with the command line's serving settings in
    /// `arguments`. With the GIL held.
    init(application callable: PythonObject, host: String, port: Int, arguments: [String]) throws {
        let options: ServingOptions
        do {
            options = try ServingOptions.parse(arguments)
        } catch {
            throw OptionError(message: ServingOptions.message(for: error))
        }
        try options.bootstrapLogging()
        interpreter = try PythonInterpreter.attach(nil)
        let application = interpreter.application(callable, logger: Logger(label: "swift-wsgi"))
        self.application = application
        let configuration = try options.serverConfiguration(listeners: [.tcp(host: host, port: port)], label: "swift-wsgi", accessLog: try options.openAccessLog())
        // Bound without the GIL: nothing here needs it, and the program's threads go on.
        server = try PythonEntry.releasingGIL { try HTTPServer(configuration: configuration, responder: application.responder) }
    }

    /// `(host, port)` as bound. new.
    var address: PythonObject? {
        let address = server.localAddress
        guard let host = Python.string(address.host), let port = PyLong_FromLong(Int(address.port)), let pair = PyTuple_New(2) else { return nil }
        // PyTuple_SetItem takes over the references.
        PyTuple_SetItem(pair, 0, host)
        PyTuple_SetItem(pair, 1, port)
        return pair
    }

    /// `serve_forever()`: serves until ``shutdown(graceful:)``; raises what a Python signal handler
    /// raised (KeyboardInterrupt), after stopping the server. With the GIL held on entry and exit.
    func serve() -> PythonObject? {
        let starting = phase.withLock { phase -> Bool in
            guard phase == .ready else { return false }
            phase = .serving
            return true
        }
        guard starting else { return RaisedError.runtime("the server cannot serve again: serve_forever() runs once per make_server").raise() }
        let stopped = DispatchSemaphore(value: 0)
        let server = self.server
        let loops = PythonEntry.releasingGIL {
            UVThread.start {
                server.serveForever()
                stopped.signal()
            }
        }
        var interrupted = false
        while !PythonEntry.releasingGIL({ stopped.wait(timeout: .now() + Self.signalPoll) == .success }) {
            // Python's handlers run here (in the main thread): SIGINT's raises KeyboardInterrupt.
            if PyErr_CheckSignals() < 0 {
                interrupted = true
                server.shutdown(graceful: false)
                PythonEntry.releasingGIL { stopped.wait() }
                break
            }
        }
        // The loops' threads end giving their Python thread states back: without the GIL here.
        PythonEntry.releasingGIL { loops.join() }
        interpreter.finalize()
        phase.withLock { $0 = .stopped }
        return interrupted ? nil : Py_NewRef(swsgi_none())
    }

    /// `shutdown()`: from any thread.
    func shutdown(graceful: Bool) {
        server.shutdown(graceful: graceful)
    }

    /// `server_close()`: lets go of a server that is not serving (never served: its sockets and
    /// loops are closed; already served: nothing left). Idempotent.
    func close() {
        let closing = phase.withLock { phase -> Bool in
            guard phase == .ready else {
                if phase == .stopped { phase = .closed }
                return false
            }
            phase = .closed
            return true
        }
        guard closing else { return }
        let server = self.server
        PythonEntry.releasingGIL { server.close() }
    }
}
