import Dispatch
import Glibc
import HTTPServerCore
import PythonHost
import ServerCommand
import Synchronization
import UVLoop

/// What the stop signals do in a process that runs Python code.
///
/// Before the server exists (while the application imports) a stop signal ends the process at
/// once. Then SIGTERM stops the server gracefully and SIGINT (or a second signal) at once, and
/// interrupts the Python code running at that moment with `KeyboardInterrupt`, so that Ctrl-C
/// works even while an application computes. Python code can still block in C (a long
/// `time.sleep`) or keep the process in Python's shutdown (a non-daemon thread that never ends): a
/// watchdog interrupts Python once the graceful timeout is over, and ends the process five seconds
/// after that, or after an immediate stop, with a log line. A third signal ends it at once.
///
/// Thread: ``request(graceful:)`` on the signal thread; ``serving(_:)`` on the main thread.
final class StopControl: Sendable {
    private struct State {
        var server: HTTPServer?
        var requests = 0
        var atOnce = false
        var watchdogStarted = false
    }

    private let state = Mutex(State())
    private let gracefulTimeout: Int

    init(gracefulTimeout: Int) {
        self.gracefulTimeout = gracefulTimeout
    }

    /// The server is about to serve: stop requests reach it from now on (one that came while it was
    /// being made applies now).
    func serving(_ server: HTTPServer) {
        let pending = state.withLock { state -> Int in
            state.server = server
            return state.requests
        }
        if pending > 0 { server.shutdown(graceful: false) }
    }

    /// Whether a stop asked for an immediate one (SIGINT, SIGQUIT, a second signal): gunicorn's
    /// `worker_int` case.
    var stoppedAtOnce: Bool { state.withLock { $0.atOnce } }

    /// SIGHUP: the server loads its TLS files again (nothing before it serves).
    func reloadTLS() {
        state.withLock { $0.server }?.reloadTLS()
    }

    func request(graceful: Bool) {
        let (server, requests) = state.withLock { state -> (HTTPServer?, Int) in
            state.requests += 1
            state.atOnce = state.atOnce || !graceful || state.requests > 1
            return (state.server, state.requests)
        }
        guard let server else { _exit(0) }
        guard requests < 3 else {
            printLine("Error: a third stop signal: exiting now")
            _exit(1)
        }
        server.shutdown(graceful: graceful)
        if !graceful { PythonInterpreter.interruptApplications() }
        startWatchdog(after: graceful ? gracefulTimeout : 0)
    }

    private func startWatchdog(after seconds: Int) {
        let first = state.withLock { state -> Bool in
            defer { state.watchdogStarted = true }
            return !state.watchdogStarted
        }
        guard first else { return }
        // Two timers, so that the exit never waits behind the interruption: interrupting takes the
        // GIL, which the code being stopped may hold for good.
        if seconds > 0 {
            DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(seconds)) {
                PythonInterpreter.interruptApplications()
            }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(seconds + 5)) {
            printLine("Error: Python code did not return within \(seconds + 5) s of the stop (code blocked in C, or a non-daemon thread); exiting")
            _exit(1)
        }
    }
}

/// Bounds the application's import: one that never returns (a module that starts its own server
/// when imported, like the classic example's `make_server(...).serve_forever()`) ends the process
/// with a clear line and the load-failure status instead of a silent hang.
struct ImportDeadline {
    let seconds: Int
    let target: ApplicationTarget

    func run<Result>(_ load: () throws -> Result) rethrows -> Result {
        guard seconds > 0 else { return try load() }
        let finished = DispatchSemaphore(value: 0)
        let seconds = self.seconds
        let target = "\(target)"
        // A thread of its own, joined once the import returned: a `--preload` master forks its
        // workers next, and may do so only as the process's one thread.
        let watchdog = UVThread.start {
            guard finished.wait(timeout: .now() + .seconds(seconds)) == .timedOut else { return }
            printLine("""
                Error: importing \(target) did not finish within \(seconds) s. Does it start a server when imported \
                (make_server(...).serve_forever())? Guard such code with `if __name__ == "__main__":` (or comment it \
                out, as for gunicorn), or raise --import-timeout.
                """)
            _exit(ExitStatus.loadFailure)
        }
        defer {
            finished.signal()
            watchdog.join()
        }
        return try load()
    }
}
