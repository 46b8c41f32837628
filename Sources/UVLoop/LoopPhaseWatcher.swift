import CLibUV

/// Runs a callback once per loop iteration at a fixed point of it: right after the loop has run the
/// I/O callbacks of the iteration (`uv_check_t`), or right before it waits for I/O again
/// (`uv_prepare_t`).
///
/// It does not keep the loop alive (`uv_unref`): it observes iterations, it is not work. The
/// callback lives as long as the watcher (until the close callback): it must not capture the
/// watcher. Thread: the loop's thread only.
public final class LoopPhaseWatcher: Handle {
    public enum Phase {
        /// After the I/O callbacks (libuv's check phase).
        case afterIO
        /// Before the loop waits for I/O (libuv's prepare phase).
        case beforeWaiting
    }

    private let callback: () -> Void

    public init(loop: Loop, phase: Phase, _ callback: @escaping () -> Void) throws {
        self.callback = callback
        switch phase {
        case .afterIO:
            try super.init(loop: loop, type: UV_CHECK, "uv_check_init") { memory in
                uv_check_init(loop.raw, memory.assumingMemoryBound(to: uv_check_t.self))
            }
        case .beforeWaiting:
            try super.init(loop: loop, type: UV_PREPARE, "uv_prepare_init") { memory in
                uv_prepare_init(loop.raw, memory.assumingMemoryBound(to: uv_prepare_t.self))
            }
        }
        let raw = UnsafeMutableRawPointer(handle)
        let status = switch phase {
        case .afterIO: uv_check_start(raw.assumingMemoryBound(to: uv_check_t.self), checkCallback)
        case .beforeWaiting: uv_prepare_start(raw.assumingMemoryBound(to: uv_prepare_t.self), prepareCallback)
        }
        do {
            try UVError.check(status, phase == .afterIO ? "uv_check_start" : "uv_prepare_start")
        } catch {
            close()
            throw error
        }
        uv_unref(handle)
    }

    fileprivate func fire() { callback() }
}

private let checkCallback: uv_check_cb = { check in
    guard let check, check.pointee.data != nil else { return }
    Handle.withOwner(UnsafeMutableRawPointer(check), as: LoopPhaseWatcher.self) { $0.fire() }
}

private let prepareCallback: uv_prepare_cb = { prepare in
    guard let prepare, prepare.pointee.data != nil else { return }
    Handle.withOwner(UnsafeMutableRawPointer(prepare), as: LoopPhaseWatcher.self) { $0.fire() }
}
