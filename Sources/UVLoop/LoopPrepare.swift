import CLibUV

/// A `uv_prepare_t`: runs a callback once per loop iteration, right before the loop waits for I/O.
///
/// It does not keep the loop alive (`uv_unref`): it observes iterations, it is not work. The
/// callback is dropped in the close callback. Thread: the loop's thread only.
public final class LoopPrepare: Handle {
    private var callback: (() -> Void)?

    public init(loop: Loop, _ callback: @escaping () -> Void) throws {
        self.callback = callback
        try super.init(loop: loop, type: UV_PREPARE, "uv_prepare_init") { memory in
            uv_prepare_init(loop.raw, memory.assumingMemoryBound(to: uv_prepare_t.self))
        }
        let prepare = UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_prepare_t.self)
        do {
            try UVError.check(uv_prepare_start(prepare, prepareCallback), "uv_prepare_start")
        } catch {
            close()
            throw error
        }
        uv_unref(handle)
    }

    fileprivate func fire() { callback?() }

    override func didClose() { callback = nil }
}

private let prepareCallback: uv_prepare_cb = { prepare in
    guard let prepare, prepare.pointee.data != nil else { return }
    Handle.owner(UnsafeMutableRawPointer(prepare), as: LoopPrepare.self).fire()
}
