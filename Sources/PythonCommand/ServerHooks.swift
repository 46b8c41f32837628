import PythonHost
import ServerCommand
import Supervisor

/// A master's events, as gunicorn's server hooks of the config file (on the master's thread,
/// which holds the GIL while it supervises: it never serves).
final class MasterHooks: SupervisorHooks {
    private let hooks: PythonHooks

    init(_ hooks: PythonHooks) {
        self.hooks = hooks
    }

    func supervisorEvent(_ event: SupervisorEvent) {
        switch event {
        case .starting(let workers):
            hooks.master("on_starting")
            hooks.master("nworkers_changed", workers: workers)
        case .ready: hooks.master("when_ready")
        case .workerStarting(let age): hooks.master("pre_fork", age: age)
        case .workerExited(let pid, let age): hooks.master("child_exit", pid: pid, age: age)
        case .reloading: hooks.master("on_reload")
        case .exiting: hooks.master("on_exit")
        }
    }
}

/// The hooks of a serving process's life, where gunicorn calls them: a worker gets `post_fork`
/// before it loads the application (it was started, not forked: same moment), `post_worker_init`
/// after, `worker_int` after a stop at once (SIGINT, SIGQUIT), and `worker_exit` at the end. A
/// server without workers is its own master too: `on_starting`, `when_ready` once it listens,
/// `on_exit`. On the command's main thread.
struct WorkerLifeHooks {
    let hooks: PythonHooks
    let role: ServingRole

    /// The worker's number (a server on its own is worker 1).
    private var age: Int {
        if case .worker(let age) = role { return age }
        return 1
    }

    var requestHooks: (hooks: PythonHooks, age: Int) { (hooks, age) }

    func starting() {
        if role.announces { hooks.master("on_starting") } else { hooks.worker("post_fork", age: age) }
    }

    func loaded() {
        hooks.worker("post_worker_init", age: age)
    }

    func ready() {
        if role.announces { hooks.master("when_ready") }
    }

    func stopped(atOnce: Bool) {
        if atOnce { hooks.worker("worker_int", age: age) }
        hooks.worker("worker_exit", age: age)
        if role.announces { hooks.master("on_exit") }
    }
}
