import Glibc

/// Process-wide settings a server adjusts at start.
enum ResourceLimits {
    /// Ignores SIGPIPE: libuv writes with write(2), and a peer that went away must surface as an
    /// EPIPE error on that connection, not kill the process (Node and nginx do the same).
    static func ignoreBrokenPipes() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// Raises the soft open-files limit to the hard limit (as nginx and Go do), so the connection
    /// ceiling is what the administrator allowed, not the 1024 default.
    /// - Returns: the resulting soft limit.
    static func raiseOpenFiles() -> Int {
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur == rlim_t.max ? Int.max : Int(limit.rlim_cur)
    }
}
