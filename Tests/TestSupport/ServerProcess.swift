import Foundation
import Glibc

/// A server binary of this package (`wsgi-demo`, `swift-wsgi`) run as a child process, for tests of
/// the commands, signals and exit codes.
public final class ServerProcess {
    public let process = Process()
    private let output = Pipe()
    public private(set) var port = 0
    public private(set) var listeningLine = ""
    /// Where the process's standard error goes (its log), when asked for.
    public let logPath: String?

    /// The built binary `name` next to the test bundle.
    public static func binaryPath(_ name: String = "wsgi-demo") -> String {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return testBinary.deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// Starts `binary arguments...` (or `executable arguments...`, for wrappers such as `prlimit`)
    /// in `directory` with `environment` added to the test's, and waits for its "Listening on" line.
    public init(
        _ arguments: [String], binary: String = "wsgi-demo", executable: String? = nil, directory: String? = nil,
        environment: [String: String] = [:], captureLog: Bool = false, timeout: Double = 20
    ) throws {
        process.executableURL = URL(fileURLWithPath: executable ?? ServerProcess.binaryPath(binary))
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.standardOutput = output
        if captureLog {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(binary)-\(UUID().uuidString).log").path
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            logPath = path
            process.standardError = FileHandle(forWritingAtPath: path)
        } else {
            logPath = nil
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        var text = ""
        let handle = output.fileHandleForReading
        while !text.contains("\n") {
            guard Date() < deadline, process.isRunning else {
                throw RawClient.Failure("\(binary) printed no listening line (got \(text.debugDescription)); log: \(log)")
            }
            let data = handle.availableData
            if data.isEmpty { usleep(10_000) }
            text += String(decoding: data, as: UTF8.self)
        }
        listeningLine = String(text.split(separator: "\n").first ?? "")
        guard listeningLine.hasPrefix("Listening on ") else { throw RawClient.Failure("unexpected listening line \(listeningLine.debugDescription)") }
        // The port of the first address; 0 when it is a unix socket.
        port = listeningLine.hasPrefix("Listening on unix:") ? 0 : listeningLine.split(separator: ":").last.flatMap { Int($0) } ?? 0
    }

    public func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// The captured log so far.
    public var log: String {
        guard let logPath else { return "" }
        return (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    /// Waits until the log contains `text` `count` times.
    @discardableResult
    public func waitForLog(_ text: String, count: Int = 1, timeout: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if log.components(separatedBy: text).count - 1 >= count { return true }
            usleep(20_000)
        }
        return false
    }

    /// Waits for exit; returns the exit status (nil on timeout, after which the process is killed).
    public func waitForExit(timeout: Double = 10) -> Int32? {
        if let status = process.waitForExit(timeout: timeout) { return status }
        kill(process.processIdentifier, SIGKILL)
        _ = process.waitForExit()
        return nil
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            _ = process.waitForExit()
        }
        if let logPath { unlink(logPath) }
    }
}
