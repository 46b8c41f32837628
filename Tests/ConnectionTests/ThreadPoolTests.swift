import Synchronization
import Testing
import TestSupport
@testable import HTTPServerCore

/// The application threads' queue lets go of a job as soon as a thread takes it: a job holds a
/// whole response (source, environ, body), and under steady load the queue never runs empty.
@Suite struct ThreadPoolTests {
    final class Tracked: Sendable {
        let freed: Counter
        init(_ freed: Counter) { self.freed = freed }
        deinit { freed.increment() }
    }

    @Test func aJobThatRanIsReleasedWhileLaterOnesWait() {
        let pool = ThreadPool(threads: 1)
        let first = Gate(), second = Gate()
        let ran = Counter(), freed = Counter()
        pool.submit { first.wait() }
        Self.submitTracked(to: pool, Tracked(freed), ran: ran)
        pool.submit { second.wait() }
        pool.submit {}  // queued behind: the queue is not empty while the thread waits in `second`
        first.open()
        #expect(ran.wait { $0 == 1 } == 1)
        // The thread now waits in the third job, the fourth still queued: the second is gone.
        #expect(freed.wait { $0 == 1 } == 1, "a job that ran is still held by the queue")
        second.open()
        pool.stop()
    }

    /// Submits a job that keeps `tracked` (given up here, so the job holds the only reference).
    static func submitTracked(to pool: ThreadPool, _ tracked: consuming Tracked, ran: Counter) {
        let kept = tracked
        pool.submit {
            _ = kept
            ran.increment()
        }
    }
}
