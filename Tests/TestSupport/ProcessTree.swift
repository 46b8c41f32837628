import Foundation

/// Processes related to a server under test, from /proc.
public enum ProcessTree {
    /// The process ids of `pid`'s children (Linux's `/proc/PID/task/PID/children`): the workers of a
    /// master.
    public static func children(of pid: Int32) -> Set<Int32> {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        return Set(text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
    }
}
