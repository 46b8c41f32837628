import Glibc

/// A joinable OS thread running a closure: for loop threads and application threads, which must be
/// real threads (they block in `uv_run` or in application code), not Swift concurrency tasks.
struct OSThread: Sendable {
    private let handle: pthread_t

    /// Starts `body` on a new thread. `name` is for diagnostics (kept with the closure; Glibc's
    /// module map does not expose `pthread_setname_np`).
    static func start(name: String, _ body: @escaping @Sendable () -> Void) -> OSThread {
        final class Box: Sendable {
            let body: @Sendable () -> Void
            let name: String
            init(_ body: @escaping @Sendable () -> Void, _ name: String) {
                self.body = body
                self.name = name
            }
        }
        var handle = pthread_t()
        let box = Unmanaged.passRetained(Box(body, name)).toOpaque()
        let status = pthread_create(&handle, nil, { argument in
            let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        precondition(status == 0, "pthread_create failed: \(status)")
        return OSThread(handle: handle)
    }

    /// Waits for the thread to finish.
    func join() {
        pthread_join(handle, nil)
    }
}
