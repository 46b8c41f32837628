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
    private var logDescriptor: Int32 = -1
    /// Where each thread of the process stood when ``waitForExit(timeout:)`` gave up on it: its
    /// name, state, the kernel function it sleeps in and its system call (a hang's first clue).
    public private(set) var hangReport: String?

    /// The built binary `name` next to the test bundle.
    /// The executable `name`: a product of this build (next to the test binary), or for
    /// `swift-wsgi`, the Python package's command in the test venv (its installed wheel).
    public static func binaryPath(_ name: String = "wsgi-demo") -> String {
        if name == "swift-wsgi" { return PythonFixtures.venv + "/bin/swift-wsgi" }
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
        let environment = environment.merging(ServerProcess.sanitizerEnvironment(for: binary)) { $1 }
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.standardOutput = output
        if captureLog {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(binary)-\(UUID().uuidString).log").path
            logPath = path
            // A descriptor this object owns and closes (deinit): Foundation's own handles close
            // theirs when they go away, which can close a number another test reuses meanwhile.
            logDescriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            process.standardError = FileHandle(fileDescriptor: logDescriptor, closeOnDealloc: false)
        } else {
            logPath = nil
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        var text = ""
        // Read with poll(2) and read(2): `FileHandle.availableData` traps on any error.
        var watched = pollfd(fd: output.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0)
        var block = [UInt8](repeating: 0, count: 4096)
        while !text.contains("\n") {
            guard Date() < deadline, process.isRunning else {
                throw RawClient.Failure("\(binary) printed no listening line (got \(text.debugDescription)); log: \(log)")
            }
            guard poll(&watched, 1, 10) > 0 else { continue }
            let count = block.withUnsafeMutableBytes { read(watched.fd, $0.baseAddress, $0.count) }
            if count < 0 && errno != EINTR { throw RawClient.Failure("reading \(binary)'s output: errno \(errno)") }
            if count == 0 { usleep(10_000) }
            if count > 0 { text += String(decoding: block[..<count], as: UTF8.self) }
        }
        listeningLine = String(text.split(separator: "\n").first ?? "")
        guard listeningLine.hasPrefix("Listening on ") else { throw RawClient.Failure("unexpected listening line \(listeningLine.debugDescription)") }
        // The port of the first address; 0 when it is a unix socket.
        port = listeningLine.hasPrefix("Listening on unix:") ? 0 : listeningLine.split(separator: ":").last.flatMap { Int($0) } ?? 0
    }

    /// Under AddressSanitizer (`make test-asan`), `swift-wsgi` runs without LeakSanitizer: CPython
    /// keeps its interpreter-wide memory to the end of the process by design, and its static
    /// library has no frame pointers, so no suppression can single those blocks out. (Python-side
    /// leaks are what the soak tests' live-object counts catch; the Swift binaries stay checked.)
    public static func sanitizerEnvironment(for binary: String) -> [String: String] {
        // swift-wsgi (a Python interpreter with the wheel's module) is not instrumented: the
        // sanitizer runs' options must not reach it.
        guard binary == "swift-wsgi" else { return [:] }
        return ["ASAN_OPTIONS": "", "TSAN_OPTIONS": "", "LSAN_OPTIONS": ""]
    }

    public func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// The process's id (a master's, with workers).
    public var pid: Int { Int(process.processIdentifier) }

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
        hangReport = Self.threads(of: process.processIdentifier)
        kill(process.processIdentifier, SIGKILL)
        _ = process.waitForExit()
        return nil
    }

    /// One line per thread of `pid` from /proc: name, state, wchan, syscall.
    public static func threads(of pid: Int32) -> String {
        let tasks = "/proc/\(pid)/task"
        let ids = (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? []
        return ids.sorted().map { id in
            func read(_ name: String) -> String {
                ((try? String(contentsOfFile: "\(tasks)/\(id)/\(name)", encoding: .utf8)) ?? "?").trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let state = read("stat").split(separator: ")").last?.split(separator: " ").first.map(String.init) ?? "?"
            return "\(id) \(read("comm")) state=\(state) wchan=\(read("wchan")) syscall=\(read("syscall").split(separator: " ").first ?? "?")"
        }.joined(separator: "\n")
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            _ = process.waitForExit()
        }
        if logDescriptor >= 0 { Glibc.close(logDescriptor) }
        if let logPath { unlink(logPath) }
    }
}
