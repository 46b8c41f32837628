import Glibc
import UVLoop

/// The application threads (`threads: N`): run one whole response each, in submission order.
///
/// Thread: `submit` from loop threads; jobs run on pool threads; `stop` from the server once every
/// loop has stopped.
final class ThreadPool: Sendable {
    private struct Queue {
        var jobs: [@Sendable () -> Void] = []
        var head = 0
        var stopping = false
    }

    private let queue = LockedValue(Queue())
    private let threads: [UVThread]

    init(threads count: Int) {
        let queue = self.queue
        threads = (0..<count).map { _ in
            UVThread.start {
                while let job = ThreadPool.take(from: queue) { job() }
            }
        }
    }

    func submit(_ job: @escaping @Sendable () -> Void) {
        queue.withLock { $0.jobs.append(job) }
    }

    /// Lets queued jobs finish, then ends the threads.
    func stop() {
        queue.withLock { $0.stopping = true }
        for thread in threads { thread.join() }
    }

    private static func take(from queue: LockedValue<Queue>) -> (@Sendable () -> Void)? {
        queue.wait(until: { $0.head < $0.jobs.count || $0.stopping }) { queue in
            guard queue.head < queue.jobs.count else { return nil }
            let job = queue.jobs[queue.head]
            queue.head += 1
            if queue.head == queue.jobs.count {
                queue.jobs.removeAll(keepingCapacity: true)
                queue.head = 0
            }
            return job
        }
    }
}
