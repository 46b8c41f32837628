import CLibUV

/// A joinable OS thread (`uv_thread_create`) running a closure: loop threads, application threads
/// and the CLI's signal thread block (in `uv_run`, in application code, in `sigwait`), so they are
/// real threads rather than Swift concurrency tasks.
public struct UVThread: Sendable {
    /// The `uv_thread_t` (a pthread handle on Unix), as an integer so the value is Sendable.
    private let handle: UInt

    /// Starts `body` on a new thread.
    public static func start(_ body: @escaping @Sendable () -> Void) -> UVThread {
        final class Box: Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        var thread = uv_thread_t()
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        let status = uv_thread_create(&thread, { argument in
            Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue().body()
        }, box)
        precondition(status == 0, "uv_thread_create failed: \(UVError(status, "uv_thread_create"))")
        return UVThread(handle: UInt(thread))
    }

    /// Waits for the thread to finish.
    public func join() {
        var thread = uv_thread_t(handle)
        uv_thread_join(&thread)
    }
}
