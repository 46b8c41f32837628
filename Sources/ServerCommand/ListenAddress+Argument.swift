import ArgumentParser
import Glibc
import HTTPServerCore

/// `--bind` as gunicorn reads it: `HOST:PORT`, `[::1]:PORT`, `:PORT` (all IPv4 interfaces),
/// `unix:PATH`, `fd://N`.
extension ListenAddress: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
}

/// systemd socket activation: the listening sockets systemd passed this process (`LISTEN_FDS`
/// descriptors from 3 on, when `LISTEN_PID` is this process), as gunicorn takes them: they replace
/// `--bind`. The variables are removed, so that workers and the application's own children do not
/// take the sockets for theirs.
enum SocketActivation {
    static func inheritedListeners() -> [ListenAddress]? {
        defer { for name in ["LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"] { unsetenv(name) } }
        guard let pid = getenv("LISTEN_PID").flatMap({ Int32(String(cString: $0)) }), pid == getpid(),
              let count = getenv("LISTEN_FDS").flatMap({ Int32(String(cString: $0)) }), count > 0 else { return nil }
        return (0..<count).map { .descriptor(3 + $0) }
    }
}
