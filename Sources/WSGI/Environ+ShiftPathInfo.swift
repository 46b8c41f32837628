extension Environ {
    /// `wsgiref.util.shift_path_info`: moves the first segment of `PATH_INFO` to the end of
    /// `SCRIPT_NAME` and returns it; `nil` when `PATH_INFO` is empty (nothing left to shift).
    ///
    /// For dispatching by path one segment at a time. Same results as CPython, quirks included:
    /// empty and `.` segments are skipped, `..` in the new `SCRIPT_NAME` is resolved, a `PATH_INFO`
    /// of `/` returns `""` and leaves `SCRIPT_NAME` ending in `/` (so `/x` and `/x/` stay distinct),
    /// and a final `/.` returns `nil` after emptying `PATH_INFO`. A `PATH_INFO` without any `/`
    /// (invalid; CPython raises `IndexError`) returns `nil` and changes nothing.
    public mutating func shiftPathInfo() -> String? {
        let pathInfo = self["PATH_INFO", default: ""]
        guard !pathInfo.isEmpty else { return nil }
        var parts = pathInfo.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2 else { return nil }
        // Drop empty and "." segments, except the first (before the leading "/") and the last.
        parts = [parts[0]] + parts[1..<(parts.count - 1)].filter { !$0.isEmpty && $0 != "." } + [parts[parts.count - 1]]
        let name = parts.remove(at: 1)

        var scriptName = normalizedPOSIXPath(self["SCRIPT_NAME", default: ""] + "/" + name)
        if scriptName.hasSuffix("/") { scriptName.removeLast() }
        if name.isEmpty && !scriptName.hasSuffix("/") { scriptName += "/" }

        self["SCRIPT_NAME"] = scriptName
        self["PATH_INFO"] = parts.joined(separator: "/")
        return name == "." ? nil : name
    }
}

/// Python's `posixpath.normpath`: collapses repeated `/` and `.` segments and resolves `..`
/// lexically. Keeps exactly two leading slashes (POSIX leaves their meaning to the system), and
/// returns `.` for a path that reduces to nothing.
private func normalizedPOSIXPath(_ path: String) -> String {
    guard !path.isEmpty else { return "." }
    var leadingSlashes = path.hasPrefix("/") ? 1 : 0
    if path.hasPrefix("//") && !path.hasPrefix("///") { leadingSlashes = 2 }
    var segments: [Substring] = []
    for segment in path.split(separator: "/", omittingEmptySubsequences: false) {
        if segment.isEmpty || segment == "." { continue }
        if segment != ".." || (leadingSlashes == 0 && segments.isEmpty) || segments.last == ".." {
            segments.append(segment)
        } else if !segments.isEmpty {
            segments.removeLast()
        }
    }
    let normalized = String(repeating: "/", count: leadingSlashes) + segments.joined(separator: "/")
    return normalized.isEmpty ? "." : normalized
}
