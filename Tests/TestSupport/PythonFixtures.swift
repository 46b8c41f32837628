import Foundation
import Glibc

/// The Python applications the tests serve with `swift-wsgi` (Tests/PythonHostTests/Fixtures), and
/// the virtual environment they are served from: one of `make wheel-venvs`' (a fresh venv of one
/// CPython minor with this checkout's wheel installed, and the fixtures' packages: Flask, Django).
public enum PythonFixtures {
    /// The fixtures directory.
    public static var directory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("PythonHostTests/Fixtures").path
    }

    /// The test venv: `SWIFT_WSGI_TEST_VENV` (set by `make test`), else Python 3.11's.
    public static var venv: String {
        if let path = ProcessInfo.processInfo.environment["SWIFT_WSGI_TEST_VENV"] { return path }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/wheel-venv-3.11").path
    }

    /// Whether the venv exists (`make wheel-venvs` makes it).
    public static var venvExists: Bool { FileManager.default.fileExists(atPath: venv + "/pyvenv.cfg") }

    /// The venv's Python minor ("3.12"), from its pyvenv.cfg.
    public static var venvMinor: String {
        let configuration = (try? String(contentsOfFile: venv + "/pyvenv.cfg", encoding: .utf8)) ?? ""
        for line in configuration.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[0] == "version" || parts[0] == "version_info" else { continue }
            return parts[1].split(separator: ".").prefix(2).joined(separator: ".")
        }
        return "?"
    }

    /// `swift-wsgi arguments... --bind 127.0.0.1:0` in the fixtures directory, with its log captured.
    public static func serve(_ arguments: [String], environment: [String: String] = [:]) throws -> ServerProcess {
        try ServerProcess(arguments + ["--bind", "127.0.0.1:0"], binary: "swift-wsgi", directory: directory, environment: environment, captureLog: true)
    }

    /// `swift-wsgi arguments...` run to its end (for start-up failures): its exit status (nil if it
    /// had to be killed after `timeout`) and its standard error.
    public static func run(_ arguments: [String], timeout: Double = 30) throws -> (status: Int32?, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServerProcess.binaryPath("swift-wsgi"))
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let sanitizer = ServerProcess.sanitizerEnvironment(for: "swift-wsgi")
        if !sanitizer.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(sanitizer) { $1 } }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let status = process.waitForExit(timeout: timeout)
        if status == nil {
            kill(process.processIdentifier, SIGKILL)
            _ = process.waitForExit()
        }
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (status, text)
    }
}

/// The two echo applications that must behave alike: the bundled Swift one and the Python
/// reference (../shared/echo_app.py, copied into the fixtures) served by `swift-wsgi`.
public enum EchoServer: String, CaseIterable, Sendable {
    case swift
    case python

    /// Serves the echo app on a free port, with `arguments` added to the command line.
    public func start(_ arguments: [String] = []) throws -> ServerProcess {
        switch self {
        case .swift: return try ServerProcess(["--app", "echo", "--bind", "127.0.0.1:0"] + arguments)
        case .python: return try PythonFixtures.serve(["echo_app:app"] + arguments)
        }
    }
}
