import Glibc

/// A value guarded by a pthread mutex, with a condition variable to wait for changes of it: the
/// blocking hand-off between loop threads and application threads, and state shared by a loop
/// thread and an application thread (request bodies).
///
/// `@unchecked Sendable` is sound: `value` is read and written only inside ``withLock(_:)`` and
/// ``wait(until:_:)``, both of which hold `mutex` for the whole access; the pthread objects live in
/// memory allocated once and freed in `deinit`, when no other thread holds a reference.
final class LockedValue<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    /// Only ever accessed while `mutex` is held, which is the exclusivity guarantee the runtime
    /// check would otherwise re-establish on every access.
    @exclusivity(unchecked) private var value: Value

    init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    /// Changes or reads the value; waiters are woken afterwards.
    @discardableResult
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer {
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
        return try body(&value)
    }

    /// Blocks until `ready(value)` holds, then runs `body` under the same lock. `ready` borrows the
    /// value: a copy would hold a second reference to its buffers, and `body` changing one in place
    /// (`removeAll(keepingCapacity:)`) would then allocate a new one.
    /// - Parameter beforeBlocking: runs (under the lock) once, before the first time the thread
    ///   blocks; not at all when `ready` holds at once. Must not take this lock or block.
    func wait<R>(until ready: (borrowing Value) -> Bool, beforeBlocking: () -> Void = {}, _ body: (inout Value) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer {
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
        if !ready(value) {
            beforeBlocking()
            repeat { pthread_cond_wait(condition, mutex) } while !ready(value)
        }
        return try body(&value)
    }
}
