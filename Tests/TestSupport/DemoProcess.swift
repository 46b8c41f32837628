import Foundation
import Glibc

/// The `wsgi-demo` binary run as a child process, for tests of the CLI, signals and exit codes.
public final class DemoProcess {
    public let process = Process()
    private let output = Pipe()
    public private(set) var port = 0
    public private(set) var listeningLine = ""

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
    public init(_ arguments: [String], executable: String? = nil, timeout: Double = 20) throws {
        process.executableURL = URL(fileURLWithPath: executable ?? DemoProcess.binaryPath)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
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
    }
}
