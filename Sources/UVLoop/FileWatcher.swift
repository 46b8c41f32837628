import CLibUV

/// Changes in one directory (`uv_fs_event_t`: inotify on Linux, which watches a directory's
/// entries, not its subdirectories': watch each directory of a tree with its own watcher).
///
/// Ownership as for every ``Handle``: libuv keeps the watcher alive until its close callback.
/// Thread: the loop's thread only.
public final class FileWatcher: Handle {
    private var onChange: ((_ name: String?) -> Void)?

    private var event: UnsafeMutablePointer<uv_fs_event_t> { UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_fs_event_t.self) }

    /// Watches `directory`; `onChange` gets the name of each entry that changed (nil when the
    /// system does not say).
    public init(loop: Loop, directory: String, onChange: @escaping (_ name: String?) -> Void) throws {
        try super.init(loop: loop, type: UV_FS_EVENT, "uv_fs_event_init") { memory in
            uv_fs_event_init(loop.raw, memory.assumingMemoryBound(to: uv_fs_event_t.self))
        }
        self.onChange = onChange
        do {
            try UVError.check(uv_fs_event_start(event, changeCallback, directory, 0), "uv_fs_event_start \(directory)")
        } catch {
            close()
            throw error
        }
    }

    fileprivate func deliver(_ name: String?) { onChange?(name) }

    override func didClose() { onChange = nil }
}

private let changeCallback: uv_fs_event_cb = { handle, name, _, status in
    guard let handle, handle.pointee.data != nil, status >= 0 else { return }
    Handle.withOwner(UnsafeMutableRawPointer(handle), as: FileWatcher.self) { $0.deliver(name.map { String(cString: $0) }) }
}
