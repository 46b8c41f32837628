/// What a master tells a hook owner (gunicorn's server hooks on the master's side; the `swift-wsgi`
/// command gives Python's). Called on the supervisor's thread, in this order for a worker:
/// `workerStarting` before it starts, `workerExited` after it ended.
public protocol SupervisorHooks: AnyObject {
    func supervisorEvent(_ event: SupervisorEvent)
}

public enum SupervisorEvent {
    /// The master starts, before any worker (`on_starting`, then `nworkers_changed`).
    case starting(workers: Int)
    /// The first workers were started and the master handles its signals (`when_ready`).
    case ready
    /// A worker is about to start (`pre_fork`); `age` numbers the workers in the order started.
    case workerStarting(age: Int)
    /// A worker ended, for any reason (`child_exit`).
    case workerExited(pid: Int32, age: Int)
    /// SIGHUP or changed sources: new workers start (`on_reload`).
    case reloading
    /// Every worker has exited; the master returns (`on_exit`).
    case exiting
}
