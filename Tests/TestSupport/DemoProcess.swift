import Foundation
import Glibc

/// The `wsgi-demo` binary run as a child process, for tests of the CLI, signals and exit codes.
public final class DemoProcess {
    public let process = Process()
    private let output = Pipe()
    public private(set) var port = 0
    public private(set) var listeningLine = ""
    /// Where the process's standard error goes (its log), when asked for.
    public let logPath: String?

    /// The built `wsgi-demo` next to the test bundle.
    public static var binaryPath: String {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("wsgi-demo").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return testBinary.deletingLastPathComponent().appendingPathComponent("wsgi-demo").path
    }

    /// Starts `wsgi-demo arguments...` (or `executable arguments...`, for wrappers such as
    /// `prlimit`) and waits for its "Listening on" line.
    public init(_ arguments: [String], executable: String? = nil, captureLog: Bool = false, timeout: Double = 20) throws {
        process.executableURL = URL(fileURLWithPath: executable ?? DemoProcess.binaryPath)
        process.arguments = arguments
        process.standardOutput = output
        if captureLog {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("wsgi-demo-\(UUID().uuidString).log").path
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
                throw RawClient.Failure("wsgi-demo printed no listening line (got \(text.debugDescription))")
            }
            let data = handle.availableData
            if data.isEmpty { usleep(10_000) }
            text += String(decoding: data, as: UTF8.self)
        }
        listeningLine = String(text.split(separator: "\n").first ?? "")
        guard let portText = listeningLine.split(separator: ":").last, let port = Int(portText) else {
            throw RawClient.Failure("unexpected listening line \(listeningLine.debugDescription)")
        }
        self.port = port
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
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        if let logPath { unlink(logPath) }
    }
}
