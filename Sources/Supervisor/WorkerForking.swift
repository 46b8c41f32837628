import Glibc

/// Starting workers by `fork()` without `exec` (`--preload`): the master has imported the
/// application, and each worker starts as a copy of it, sharing its memory pages copy-on-write.
/// The owner (the `swift-wsgi` command) prepares its runtime for the fork and runs the worker in
/// the child. All on the supervisor's thread, which is the master's only one at the fork
/// (``ProcessThreads/count()`` is checked before each: with any other thread the worker is started
/// by exec instead, since a thread that held a lock at the fork leaves it held for good in the
/// child).
public protocol WorkerForking: AnyObject {
    /// Just before `fork()`, in the master.
    func prepareFork()
    /// Just after `fork()`, in the master.
    func parentAfterFork()
    /// In the child: serves as the worker `link` describes, then ends the process.
    func runWorker(_ link: WorkerLink) -> Never
}

/// A process's threads, as the kernel lists them.
public enum ProcessThreads {
    /// How many threads process `pid` (nil: this one) has now (`/proc/PID/task`); 0 when it cannot
    /// be read.
    public static func count(ofProcess pid: Int32? = nil) -> Int {
        guard let directory = opendir("/proc/\(pid.map(String.init) ?? "self")/task") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            if entry.pointee.d_name.0 != UInt8(ascii: ".") { count += 1 }
        }
        return count
    }
}
