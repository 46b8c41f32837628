import CLibUV

/// The Swift owner of one libuv handle: the single place where libuv's handle lifetime rules live.
///
/// - Memory for the `uv_*_t` is allocated here and freed only in libuv's close callback, never before.
/// - From a successful `uv_*_init` until that callback, the owner is retained through `handle->data`,
///   so it cannot be deinitialized while libuv may still call back into it; the callback clears `data`
///   and releases it exactly once.
/// - ``close(then:)`` may be called any number of times; libuv sees one `uv_close`.
///
/// Thread: the loop's thread only. Subclasses add one libuv handle type each.
public class Handle {
    /// The handle's memory, sized for the concrete `uv_*_t`.
    let handle: UnsafeMutablePointer<uv_handle_t>
    /// The loop this handle lives on.
    public let loop: Loop
    /// True once ``close(then:)`` was called: no callback but the close callback will follow.
    public private(set) var isClosing = false
    private var onClosed: (() -> Void)?

    /// Allocates the handle memory and runs `initialize` (the `uv_*_init` call) on it.
    /// On failure nothing was registered with libuv, so the memory is freed right here, except for
    /// calls that register the handle even when they fail (`uv_spawn`: `registeredOnFailure`), whose
    /// memory is freed by a close callback instead.
    init(loop: Loop, type: uv_handle_type, _ operation: String, registeredOnFailure: Bool = false,
         initialize: (UnsafeMutableRawPointer) -> Int32) throws {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: uv_handle_size(type), alignment: 16)
        let status = initialize(memory)
        guard status == 0 else {
            if registeredOnFailure {
                let failed = memory.assumingMemoryBound(to: uv_handle_t.self)
                failed.pointee.data = nil
                uv_close(failed) { UnsafeMutableRawPointer($0)?.deallocate() }
            } else {
                memory.deallocate()
            }
            throw UVError(status, operation)
        }
        self.handle = memory.assumingMemoryBound(to: uv_handle_t.self)
        self.loop = loop
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    /// Asks libuv to close the handle; `then` runs from the close callback, after which the handle
    /// memory is gone and this object is released by libuv's side.
    public func close(then: (() -> Void)? = nil) {
        if let then {
            let previous = onClosed
            onClosed = { previous?(); then() }
        }
        guard !isClosing else { return }
        isClosing = true
        willClose()
        uv_close(handle, handleCloseCallback)
    }

    /// Subclass hook: runs when closing starts (e.g. to refuse further cross-thread wake-ups).
    func willClose() {}

    /// Subclass hook: runs from the close callback, before the owner is released. Subclasses drop
    /// their callbacks and delegates here, which breaks the reference cycles they formed.
    func didClose() {}

    fileprivate func finishClose() {
        didClose()
        let closed = onClosed
        onClosed = nil
        closed?()
    }

    /// The owner stored in a handle's `data` (valid from init until the close callback).
    static func owner<Owner: Handle>(_ handle: UnsafeMutableRawPointer, as: Owner.Type) -> Owner {
        let data = handle.assumingMemoryBound(to: uv_handle_t.self).pointee.data!
        return Unmanaged<Owner>.fromOpaque(data).takeUnretainedValue()
    }

    /// Calls `body` with the owner stored in a handle's `data`, without counting a reference: the
    /// handle's own reference keeps the owner alive until the close callback, which never runs
    /// during another callback of the handle (a `close()` there only schedules it). For the
    /// callbacks that run on every request.
    @inline(__always)
    static func withOwner<Owner: Handle>(_ handle: UnsafeMutableRawPointer, as: Owner.Type, _ body: (Owner) -> Void) {
        let data = handle.assumingMemoryBound(to: uv_handle_t.self).pointee.data!
        Unmanaged<Owner>.fromOpaque(data)._withUnsafeGuaranteedRef(body)
    }
}

/// libuv's close callback for every handle: clear `data`, notify, free the memory, release the owner.
private let handleCloseCallback: uv_close_cb = { handle in
    guard let handle, let data = handle.pointee.data else { return }
    handle.pointee.data = nil
    let owner = Unmanaged<Handle>.fromOpaque(data)
    owner.takeUnretainedValue().finishClose()
    UnsafeMutableRawPointer(handle).deallocate()
    owner.release()
}
