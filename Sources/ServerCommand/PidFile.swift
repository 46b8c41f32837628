import Glibc

/// `--pid FILE`: the serving (or master) process's id, written at start and removed at exit.
struct PidFile {
    let path: String

    init?(_ path: String?) throws {
        guard let path else { return nil }
        self.path = path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CommandLineError("cannot write pid file \(path): \(String(cString: strerror(errno)))") }
        printLine("\(getpid())", to: fd)
        close(fd)
    }

    func remove() { unlink(path) }
}
