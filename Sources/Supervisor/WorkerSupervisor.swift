import Glibc
import Logging
import UVLoop

/// The master process of a multi-process server (gunicorn's arbiter).
///
/// It owns the listening sockets and starts the worker processes by spawn-and-exec of the same
/// executable with the same arguments (safer than fork in a process with Swift runtime threads),
/// each inheriting the sockets and a heartbeat pipe as ``WorkerLink`` describes; with a
/// ``WorkerForking`` (`--preload`), by fork while the master is its process's only thread. It
/// reports its events to ``SupervisorHooks`` and its workers' metrics to a ``WorkerMetricsBoard``.
/// Then, on its own libuv loop:
/// - a worker that exits unexpectedly (a crash in application code) is replaced at once (after a
///   one-second pause when it died within a second of starting, so a broken app cannot spin);
///   one that exits with ``WorkerSettings/bootFailureStatus`` (it cannot load the application)
///   stops the master, which exits with that status;
/// - a worker that recycled itself after its request budget is replaced;
/// - a worker whose heartbeat stops for `timeout` (a loop blocked by application code) is killed
///   and replaced;
/// - a worker over ``WorkerSettings/maxWorkerMemory`` or past its lifetime
///   (``WorkerSettings/maxWorkerLifetime``) is replaced: its replacement starts at once and it
///   drains (lifetimes one worker at a time);
/// - SIGHUP reloads (and, with ``WorkerSettings/reloadRoots``, a change to the application's
///   sources): a new set of workers starts, and once every one of them has booted (beaten once:
///   it loaded the application) the old ones drain gracefully; when the new ones cannot load the
///   application, they are stopped and the old ones keep serving;
/// - SIGTERM drains: workers stop accepting and finish in-flight requests, then the master exits 0;
///   SIGINT, SIGQUIT or a second SIGTERM stops the workers at once.
///
/// Thread: everything runs on the thread that calls ``run()``.
public final class WorkerSupervisor {
    /// How a worker was started, for signalling it.
    private enum Process {
        /// By spawn-and-exec (libuv reports its exit).
        case spawned(ChildProcess)
        /// By fork (`--preload`; the supervisor reaps it on SIGCHLD).
        case forked(pid: Int32)

        func kill(_ signal: Int32) {
            switch self {
            case .spawned(let child): try? child.kill(signal)
            case .forked(let pid): _ = Glibc.kill(pid, signal)
            }
        }

        func close() {
            if case .spawned(let child) = self { child.close() }
        }
    }

    private final class Worker {
        let process: Process
        let heartbeat: Pipe
        let started: UInt64
        /// Its number in the order workers were started (gunicorn's `worker.age`).
        let age: Int
        var lastBeat: UInt64
        /// When it is replaced for its age (loop milliseconds); nil: never.
        let endOfLife: UInt64?
        var phase = Phase.serving
        /// Its heartbeat pipe's frames as they arrive.
        var frames = WorkerMetricsFrame.Reader()

        init(process: Process, heartbeat: Pipe, now: UInt64, age: Int, endOfLife: UInt64?) {
            self.process = process
            self.heartbeat = heartbeat
            self.started = now
            self.age = age
            self.lastBeat = now
            self.endOfLife = endOfLife
        }

        /// Asked to stop: its exit is not a failure to repair.
        var isRetiring: Bool {
            switch phase {
            case .retiring, .killed(wasRetiring: true): return true
            case .serving, .killed(wasRetiring: false): return false
            }
        }
    }

    private enum Phase {
        case serving
        /// Asked to drain and exit: its exit is not a failure to repair.
        case retiring(RetireReason)
        /// Killed for a silent heartbeat; its exit is repaired unless it was retiring.
        case killed(wasRetiring: Bool)
    }

    private enum RetireReason {
        case reload, memory, lifetime
    }

    private let settings: WorkerSettings
    /// The sockets the workers serve; their addresses are the server's.
    public let sockets: [ListeningSocket]
    private let logger: Logger
    private let loop: Loop
    private var workers: [Int32: Worker] = [:]
    /// Workers that should be running (not counting retiring ones).
    private var wanted: Int
    private var stopping = false
    /// The master's exit status: 0, or a worker's boot failure status.
    private var exitStatus: Int32 = 0
    private var stopSignals = 0
    /// A reload whose new workers are booting; the old ones serve until all have.
    private var reloading: Reload?
    /// `--reload`'s watcher of the application's sources (its handles are in ``housekeeping``).
    private var sources: SourceWatcher?
    private var housekeeping: [Handle] = []
    private var killTimer: LoopTimer?
    /// Workers started so far: the next one's age.
    private var started = 0
    private var hooks: (any SupervisorHooks)?
    /// `--preload`: workers start by fork.
    private var forking: (any WorkerForking)?
    /// A fork was refused because the master had other threads (reported once).
    private var reportedThreads = false

    /// The descriptor numbers of the heartbeat pipe and the first socket in a worker.
    private static let heartbeatDescriptor: Int32 = 3
    private static let firstSocketDescriptor: Int32 = 4

    init(settings: WorkerSettings, sockets: [ListeningSocket], logger: Logger) throws {
        self.settings = settings
        self.sockets = sockets
        self.logger = logger
        self.wanted = settings.workers
        loop = try Loop()
    }

    /// Runs until every worker has exited after a stop signal or a boot failure. Returns the exit
    /// status for the master process (0 after a requested stop).
    /// - Parameter ready: called once the master handles its signals and has started the workers:
    ///   the moment to say that the server listens (a signal sent on that word must find its
    ///   handler, not the default action that ends the process).
    /// - Parameter hooks: told of the master's events (gunicorn's server hooks).
    /// - Parameter forking: starts workers by fork (`--preload`); nil: by spawn-and-exec.
    public func run(hooks: (any SupervisorHooks)? = nil, forking: (any WorkerForking)? = nil, ready: () -> Void = {}) -> Int32 {
        self.hooks = hooks
        self.forking = forking
        hooks?.supervisorEvent(.starting(workers: wanted))
        defer {
            hooks?.supervisorEvent(.exiting)
            self.hooks = nil
        }
        // A log read through a pipe whose reader went away must not kill the master (the workers,
        // being servers, ignore SIGPIPE too).
        signal(SIGPIPE, SIG_IGN)
        do {
            try watchSignals()
            if forking != nil {
                housekeeping.append(try SignalWatcher(loop: loop, signal: SIGCHLD) { [unowned self] _ in reapForkedWorkers() })
            }
            let check = try LoopTimer(loop: loop)
            housekeeping.append(check)
            let interval = settings.heartbeatInterval.milliseconds
            try check.start(after: interval, repeating: interval) { [unowned self] in
                checkHeartbeats()
                replaceWorkersPastTheirLimits()
                settings.metrics?.update(workers: liveWorkers, listenQueues: sockets.compactMap(WorkerMetricsBoard.ListenQueue.init))
            }
            for _ in 0..<wanted { spawn() }
            if !settings.reloadRoots.isEmpty {
                let sources = try SourceWatcher(loop: loop, roots: settings.reloadRoots, logger: logger) { [unowned self] in
                    logger.info("application sources changed")
                    reload()
                }
                housekeeping += sources.handles
                self.sources = sources
            }
        } catch {
            logger.critical("supervisor cannot start", metadata: ["error": "\(error)"])
            return 1
        }
        logger.info("supervisor running", metadata: ["workers": "\(wanted)", "pid": "\(getpid())"])
        ready()
        hooks?.supervisorEvent(.ready)
        loop.run()
        try? loop.close()
        for socket in sockets {
            close(socket.descriptor)
            socket.removeFile()
        }
        logger.info("supervisor stopped")
        return exitStatus
    }

    private func watchSignals() throws {
        for signal in [SIGTERM, SIGINT, SIGQUIT, SIGHUP] {
            housekeeping.append(try SignalWatcher(loop: loop, signal: signal) { [unowned self] signal in received(signal) })
        }
    }

    private func received(_ signal: Int32) {
        switch signal {
        case SIGHUP where !stopping:
            reload()
        case SIGTERM:
            stopSignals += 1
            stop(graceful: stopSignals == 1)
        default:
            stop(graceful: false)
        }
    }

    // MARK: Workers

    /// Starts a worker; its pid, nil when it could not be started (another try follows in 1 s).
    @discardableResult
    private func spawn() -> Int32? {
        guard !stopping else { return nil }
        let budget = settings.maxRequests.map { $0 + Int.random(in: 0...max(0, settings.maxRequestsJitter)) }
        started += 1
        let age = started
        hooks?.supervisorEvent(.workerStarting(age: age))
        if let forking, let pid = fork(forking, age: age, budget: budget) { return pid }
        let link = WorkerLink.environmentEntry(
            sockets: sockets.indices.map { Self.firstSocketDescriptor + Int32($0) }, heartbeat: Self.heartbeatDescriptor, interval: settings.heartbeatInterval,
            budget: budget, sendsMetrics: settings.metrics != nil, age: age
        )
        do {
            let pipe = try Pipe(loop: loop)
            var pid: Int32 = 0
            let process = try ChildProcess(
                loop: loop, executable: settings.workerCommand.executable, arguments: settings.workerCommand.arguments,
                environment: [link],
                // Positions are the worker's descriptor numbers, as WorkerLink says.
                descriptors: [.inherit(0), .inherit(1), .inherit(2), .pipe(pipe)] + sockets.map { .inherit($0.descriptor) }
            ) { [unowned self] status, signal in exited(pid, status: status, signal: signal) }
            pid = process.pid
            try watch(Worker(process: .spawned(process), heartbeat: pipe, now: loop.now, age: age, endOfLife: endOfLife()), pid: pid)
            logger.info("worker started", metadata: ["pid": "\(pid)"])
            return pid
        } catch {
            logger.error("cannot start a worker; retrying in 1 s", metadata: ["error": "\(error)"])
            after(1000) { [unowned self] in spawn() }
            return nil
        }
    }

    /// When a worker starting now is replaced for its age.
    private func endOfLife() -> UInt64? {
        settings.maxWorkerLifetime.map { lifetime in
            loop.now + lifetime.milliseconds + UInt64.random(in: 0...settings.maxWorkerLifetimeJitter.milliseconds)
        }
    }

    /// Counts `worker` in, and reads its heartbeat frames.
    private func watch(_ worker: Worker, pid: Int32) throws {
        workers[pid] = worker
        try worker.heartbeat.read(onData: { [unowned self, unowned worker] bytes in
            worker.frames.receive(bytes) { metrics in
                worker.lastBeat = loop.now
                booted(pid)
                if let metrics { settings.metrics?.record(metrics, from: pid) }
            }
        }, onEnd: {})
    }

    // MARK: Forked workers (--preload)

    /// Starts a worker by fork; nil when it cannot (the master has other threads, or fork failed):
    /// the caller starts it by exec instead.
    private func fork(_ forking: any WorkerForking, age: Int, budget: Int?) -> Int32? {
        // A thread holding a lock (malloc's, the Swift runtime's, the GIL) at the fork would leave
        // it held forever in the child, where only the forking thread exists: fork only alone.
        let threads = ProcessThreads.count()
        guard threads == 1 else {
            if !reportedThreads {
                reportedThreads = true
                logger.warning("the master has other threads: starting workers by exec (the application imported again in each)", metadata: ["threads": "\(threads)"])
            }
            return nil
        }
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { return nil }
        // Not inherited by what the master spawns later (workers started by exec).
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        forking.prepareFork()
        let pid = Glibc.fork()
        if pid == 0 {
            // The child: this thread only, the master's memory. The master's signal handlers
            // (libuv's, writing to the master's loop) must not run here; the worker installs its own.
            Glibc.close(ends[0])
            for signal in [SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD] { _ = Glibc.signal(signal, SIG_DFL) }
            forking.runWorker(WorkerLink(
                listeningDescriptors: sockets.map(\.descriptor), heartbeatDescriptor: ends[1], heartbeatInterval: settings.heartbeatInterval,
                budget: budget, sendsMetrics: settings.metrics != nil, age: age
            ))
        }
        forking.parentAfterFork()
        Glibc.close(ends[1])
        guard pid > 0 else {
            Glibc.close(ends[0])
            logger.error("fork failed; starting the worker by exec", metadata: ["errno": "\(errno)"])
            return nil
        }
        do {
            try watch(Worker(process: .forked(pid: pid), heartbeat: try Pipe(loop: loop, adopting: ends[0]), now: loop.now, age: age, endOfLife: endOfLife()), pid: pid)
        } catch {
            logger.error("cannot watch a forked worker; stopping it", metadata: ["pid": "\(pid)", "error": "\(error)"])
            _ = Glibc.kill(pid, SIGKILL)
            return pid
        }
        logger.info("worker forked", metadata: ["pid": "\(pid)", "master_threads": "\(threads)"])
        return pid
    }

    /// SIGCHLD: the forked workers that ended (libuv reaps only the processes it spawned).
    private func reapForkedWorkers() {
        for (pid, worker) in workers {
            guard case .forked = worker.process else { continue }
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { continue }
            let signal = status & 0x7F
            exited(pid, status: signal == 0 ? Int64((status >> 8) & 0xFF) : 0, signal: signal)
        }
    }

    private func exited(_ pid: Int32, status: Int64, signal: Int32) {
        guard let worker = workers.removeValue(forKey: pid) else { return }
        // Its last frame (a worker reports its final counts as it ends) may still be in the pipe.
        worker.heartbeat.readAvailable()
        worker.process.close()
        worker.heartbeat.close()
        let metadata: Logger.Metadata = ["pid": "\(pid)", "status": "\(status)", "signal": "\(signal)"]
        settings.metrics?.workerExited(pid, restart: stopping ? nil : Self.restartReason(worker, status: status, signal: signal))
        hooks?.supervisorEvent(.workerExited(pid: pid, age: worker.age))
        if stopping {
            logger.info("worker stopped", metadata: metadata)
            if workers.isEmpty { finish() }
            return
        }
        if let reload = reloading, reload.starting.contains(pid) {
            return reloadFailed(pid, metadata: metadata)
        }
        if !worker.isRetiring, let bootFailure = settings.bootFailureStatus, status == Int64(bootFailure) {
            logger.critical("worker failed to boot: the application could not be loaded; stopping", metadata: metadata)
            exitStatus = bootFailure
            return stop(graceful: false)
        }
        if worker.isRetiring {
            logger.info("worker retired", metadata: metadata)
        } else if status == 0 && signal == 0 {
            // A worker exits 0 on its own only after its request budget: replace it.
            logger.info("worker recycled; starting a replacement", metadata: metadata)
        } else {
            logger.error("worker died; starting a replacement", metadata: metadata)
        }
        guard liveWorkers < wanted else { return }
        if case .serving = worker.phase, status != 0, loop.now - worker.started < 1000 {
            after(1000) { [unowned self] in if liveWorkers < wanted { spawn() } }
        } else {
            spawn()
        }
    }

    private var liveWorkers: Int { workers.values.filter { !$0.isRetiring }.count }

    /// Why a worker that exited outside a stop is replaced, for the metrics.
    private static func restartReason(_ worker: Worker, status: Int64, signal: Int32) -> WorkerMetricsBoard.Restart {
        switch worker.phase {
        case .retiring(.reload): return .reload
        case .retiring(.memory): return .memory
        case .retiring(.lifetime): return .lifetime
        case .killed: return .timeout
        case .serving: return status == 0 && signal == 0 ? .maxRequests : .crash
        }
    }

    private func checkHeartbeats() {
        let limit = settings.timeout.milliseconds
        let now = loop.now
        for (pid, worker) in workers where now - worker.lastBeat > limit {
            if case .killed = worker.phase { continue }
            logger.critical("worker timeout: no heartbeat; killing it", metadata: ["pid": "\(pid)", "silent_ms": "\(now - worker.lastBeat)"])
            worker.phase = .killed(wasRetiring: worker.isRetiring)
            worker.process.kill(SIGKILL)
        }
    }

    // MARK: Recycling by memory and age

    /// Replaces the serving workers over the memory limit, and the oldest one past its lifetime
    /// unless another is still retiring for its age (so that lifetimes never restart every worker
    /// at once). Not while a reload or a stop is under way: they replace every worker anyway.
    private func replaceWorkersPastTheirLimits() {
        guard !stopping, reloading == nil else { return }
        if let limit = settings.maxWorkerMemory {
            for (pid, worker) in workers {
                guard case .serving = worker.phase, let resident = ProcessMemory.residentBytes(of: pid), resident > limit else { continue }
                logger.warning("worker over its memory limit; replacing it", metadata: [
                    "pid": "\(pid)", "rss_mib": "\(resident >> 20)", "limit_mib": "\(limit >> 20)",
                ])
                replace(pid, reason: .memory)
            }
        }
        let now = loop.now
        let retiringForAge = workers.values.contains { worker in
            if case .retiring(.lifetime) = worker.phase { return true }
            return false
        }
        guard !retiringForAge else { return }
        let due = workers.filter { _, worker in
            guard case .serving = worker.phase, let endOfLife = worker.endOfLife else { return false }
            return now >= endOfLife
        }
        if let (pid, worker) = due.min(by: { $0.value.started < $1.value.started }) {
            logger.info("worker reached its lifetime; replacing it", metadata: ["pid": "\(pid)", "age_s": "\((now - worker.started) / 1000)"])
            replace(pid, reason: .lifetime)
        }
    }

    /// Retires worker `pid` and starts its replacement now: the new worker accepts on the shared
    /// sockets while the old one finishes its in-flight requests.
    private func replace(_ pid: Int32, reason: RetireReason) {
        retire(pid, reason: reason)
        if liveWorkers < wanted { spawn() }
    }

    // MARK: Reloading

    /// What a reload waits for: its new workers' first beats.
    private struct Reload {
        /// The workers serving when it began.
        var old: [Int32]
        /// New workers that have not beaten yet.
        var starting: Set<Int32>
    }

    /// SIGHUP or changed sources: start a full new set; the old set drains once it has booted.
    private func reload() {
        guard !stopping else { return }
        if let reloading {
            // A reload is already waiting for its workers: start it over with the newest sources.
            for pid in reloading.starting { retire(pid, reason: .reload) }
            self.reloading = nil
        }
        logger.info("reloading: starting new workers; the old ones serve until the new ones are up")
        hooks?.supervisorEvent(.reloading)
        let old = workers.filter { !$0.value.isRetiring }.map(\.key)
        let starting = (0..<wanted).compactMap { _ in spawn() }
        reloading = Reload(old: old, starting: Set(starting))
        if starting.isEmpty { booted(nil) }
    }

    /// A worker beat. The last new worker of a reload to do so retires the old set.
    private func booted(_ pid: Int32?) {
        guard var reload = reloading else { return }
        if let pid, reload.starting.remove(pid) == nil { return }
        reloading = reload
        guard reload.starting.isEmpty else { return }
        reloading = nil
        logger.info("reloaded: the new workers are up; draining the old ones", metadata: ["old": "\(reload.old.count)"])
        for pid in reload.old { retire(pid, reason: .reload) }
    }

    /// A new worker of a reload exited before it beat (it could not load the application, or
    /// crashed): the reload is abandoned and the old workers keep serving.
    private func reloadFailed(_ pid: Int32, metadata: Logger.Metadata) {
        guard let reload = reloading else { return }
        reloading = nil
        logger.error("reload failed: a new worker exited before it was up (see its error above); the old workers keep serving", metadata: metadata)
        for other in reload.starting where other != pid { retire(other, reason: .reload) }
    }

    /// Asks worker `pid` to drain and exit; its exit is not a failure to repair.
    private func retire(_ pid: Int32, reason: RetireReason) {
        guard let worker = workers[pid] else { return }
        worker.phase = .retiring(reason)
        worker.process.kill(SIGTERM)
    }

    private func stop(graceful: Bool) {
        if !stopping {
            logger.info(graceful ? "stopping workers gracefully" : "stopping workers", metadata: ["workers": "\(workers.count)"])
        }
        stopping = true
        for worker in workers.values { worker.process.kill(graceful ? SIGTERM : SIGINT) }
        if workers.isEmpty { return finish() }
        if killTimer == nil {
            let deadline = settings.gracefulTimeout.milliseconds + 5000
            killTimer = try? LoopTimer(loop: loop)
            try? killTimer?.start(after: graceful ? deadline : 5000) { [unowned self] in
                for worker in workers.values { worker.process.kill(SIGKILL) }
            }
        }
    }

    private func finish() {
        for handle in housekeeping { handle.close() }
        housekeeping.removeAll()
        killTimer?.close()
        killTimer = nil
    }

    private func after(_ milliseconds: UInt64, _ action: @escaping () -> Void) {
        guard let timer = try? LoopTimer(loop: loop) else { return }
        try? timer.start(after: milliseconds) {
            timer.close()
            action()
        }
    }
}
