import Glibc
import Logging
import UVLoop

/// `--reload`: watches the Python sources under some directories and calls `changed` once a
/// burst of changes to `.py` files has settled (editors write a file in several steps).
///
/// Every directory of each tree gets a ``FileWatcher``, except those no application source lives
/// in: hidden ones, `__pycache__`, virtual environments (a `pyvenv.cfg`), `site-packages`,
/// `node_modules`. Directories created later are not watched. Thread: the supervisor's loop.
final class SourceWatcher {
    private var watchers: [FileWatcher] = []
    private var settle: LoopTimer?
    private let changed: () -> Void

    /// How long changes must stop before `changed` runs, in milliseconds.
    static let settleTime: UInt64 = 300

    init(loop: Loop, roots: [String], logger: Logger, changed: @escaping () -> Void) throws {
        self.changed = changed
        settle = try LoopTimer(loop: loop)
        for directory in roots.flatMap(Self.directories(under:)) {
            do {
                watchers.append(try FileWatcher(loop: loop, directory: directory) { [unowned self] name in noticed(name) })
            } catch {
                logger.warning("cannot watch a directory for --reload", metadata: ["directory": "\(directory)", "error": "\(error)"])
            }
        }
        logger.info("watching Python sources for changes", metadata: ["directories": "\(watchers.count)"])
    }

    /// Every handle it holds, for the supervisor to close.
    var handles: [Handle] { watchers + (settle.map { [$0] } ?? []) }

    private func noticed(_ name: String?) {
        guard let name, name.hasSuffix(".py") else { return }
        try? settle?.start(after: Self.settleTime) { [unowned self] in changed() }
    }

    /// `root` and its subdirectories that may hold application sources.
    static func directories(under root: String) -> [String] {
        var found: [String] = []
        var pending = [root]
        while let directory = pending.popLast() {
            guard access(directory + "/pyvenv.cfg", F_OK) != 0, let stream = opendir(directory) else { continue }
            found.append(directory)
            while let entry = readdir(stream) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                guard entry.pointee.d_type == UInt8(DT_DIR), !name.hasPrefix("."),
                      !["__pycache__", "site-packages", "node_modules"].contains(name) else { continue }
                pending.append(directory + "/" + name)
            }
            closedir(stream)
        }
        return found
    }
}
