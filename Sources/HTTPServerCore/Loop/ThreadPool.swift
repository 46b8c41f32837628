import Glibc
import UVLoop

/// The application threads (`threads: N`): run one whole response each, in submission order.
///
/// Thread: `submit` from loop threads; jobs run on pool threads; `stop` from the server once every
/// loop has stopped.
final class ThreadPool: Sendable {
    /// Jobs in submission order; those before `head` were taken, and their slots emptied at once:
    /// a job holds a whole response (its source, environ and body), and under steady load the
    /// queue may never run empty, so a taken job must not wait for that to be let go.
    private struct Queue {
        var jobs: [(@Sendable () -> Void)?] = []
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
            let job = queue.jobs[queue.head].take()
            queue.head += 1
            if queue.head == queue.jobs.count {
                queue.jobs.removeAll(keepingCapacity: true)
                queue.head = 0
            } else if queue.head >= 1024 && queue.head * 2 >= queue.jobs.count {
                queue.jobs.removeFirst(queue.head)
                queue.head = 0
            }
            return job
        }
    }
}
