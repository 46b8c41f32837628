import Glibc
import Logging

/// Where a command's logs go, as gunicorn names them: `-` is standard output for the access log
/// and standard error for the error log; anything else a file, appended to (created 0644).
enum LogFile {
    /// The descriptor for `path` (`-`: `standard`), opened for appending and kept open for the
    /// life of the process.
    static func open(_ path: String, standard: Int32) throws -> Int32 {
        if path == "-" { return standard }
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CommandLineError("cannot open log file \(path): \(String(cString: strerror(errno)))") }
        return fd
    }
}

/// A swift-log handler that writes each record as one line to a descriptor, in gunicorn's layout:
/// `[2026-12-06 17:20:00 +0000] [pid] [LEVEL] label: message key=value ...`. One `write(2)` per
/// record, so that lines from several threads and processes sharing the file do not interleave.
struct LineLogHandler: LogHandler {
    let label: String
    let descriptor: Int32
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    init(label: String, descriptor: Int32, level: Logger.Level) {
        self.label = label
        self.descriptor = descriptor
        logLevel = level
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line = "[\(Self.timestamp())] [\(getpid())] [\(event.level.rawValue.uppercased())] \(label): \(event.message)"
        let all = event.metadata.map { metadata.merging($0) { $1 } } ?? metadata
        for (key, value) in all.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(value)" }
        line += "\n"
        line.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }

    private static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        var text = [CChar](repeating: 0, count: 40)
        let count = strftime(&text, text.count, "%Y-%m-%d %H:%M:%S %z", &parts)
        return String(decoding: text.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A command-line problem: one line on standard error, exit status 2.
public struct CommandLineError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Writes `text` to descriptor `fd` (standard error by default) in one `write(2)`, ending it with a
/// newline unless it has one: the commands' one-line messages, before or beside the logger.
public func printLine(_ text: String, to fd: Int32 = 2) {
    var line = text.hasSuffix("\n") ? text : text + "\n"
    line.withUTF8 { _ = write(fd, $0.baseAddress, $0.count) }
}
