/// Mounts applications under path prefixes: the longest prefix that matches `PATH_INFO` on a
/// segment boundary wins, and moves from `PATH_INFO` to the end of `SCRIPT_NAME`, so the mounted
/// application sees its own paths and can still rebuild its full URL.
///
/// ```swift
/// let site = PathDispatcher(["/api": apiApp, "/api/v2": v2App, "/": rootApp])
/// // GET /api/users  -> apiApp with SCRIPT_NAME "/api", PATH_INFO "/users"
/// // GET /api        -> apiApp with SCRIPT_NAME "/api", PATH_INFO ""
/// // GET /apis       -> rootApp, unchanged ("/api" matches whole segments only)
/// ```
///
/// A prefix is `/` (or `""`) for the root, else a path starting with `/`; a trailing `/` is
/// ignored. Without a root mount, a path no prefix matches gets a `404 Not Found`.
///
/// Threading: an immutable value; serves concurrent requests if the mounted applications do.
public struct PathDispatcher: WSGIApplication {
    private struct Mount {
        /// Without a trailing "/"; empty for the root.
        let prefix: String
        let application: Application

        /// `PATH_INFO` after the prefix, or `nil` when the prefix does not cover whole segments of it.
        func remainder(of path: String) -> Substring? {
            guard path.utf8.starts(with: prefix.utf8) else { return nil }
            let rest = path.utf8.dropFirst(prefix.utf8.count)
            guard rest.isEmpty || rest.first == UInt8(ascii: "/") else { return nil }
            return Substring(rest)
        }
    }

    /// Longest prefix first.
    private let mounts: [Mount]

    /// - Parameter mounts: each prefix and the application served under it. Two prefixes that
    ///   differ only by a trailing `/`, or a prefix not starting with `/`, are a programming error.
    public init(_ mounts: [String: Application]) {
        var seen = Set<String>()
        self.mounts = mounts.map { prefix, application in
            precondition(prefix.isEmpty || prefix.hasPrefix("/"), "mount prefix must start with /: \(prefix.debugDescription)")
            var prefix = prefix
            while prefix.hasSuffix("/") { prefix.removeLast() }
            precondition(seen.insert(prefix).inserted, "mount prefix given twice: \(prefix.debugDescription)")
            return Mount(prefix: prefix, application: application)
        }
        .sorted { $0.prefix.utf8.count > $1.prefix.utf8.count }
    }

    public func callAsFunction(_ environ: Environ, _ startResponse: StartResponse) throws -> ResponseBody {
        let path = environ["PATH_INFO", default: ""]
        for mount in mounts {
            guard let rest = mount.remainder(of: path) else { continue }
            var environ = environ
            if !mount.prefix.isEmpty {
                environ["SCRIPT_NAME"] = environ["SCRIPT_NAME", default: ""] + mount.prefix
                environ["PATH_INFO"] = String(rest)
            }
            return try mount.application(environ, startResponse)
        }
        let body: Bytes = "Not Found\n"
        try startResponse("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", String(body.count))])
        return [body]
    }
}
