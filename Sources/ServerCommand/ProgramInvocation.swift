import Glibc
import Synchronization

/// How the running program was started, for what it starts again: its worker processes and the
/// interpreter that reads gunicorn config files.
///
/// A Swift executable (`wsgi-demo`) is its own program: workers are `/proc/self/exe` with the same
/// arguments, config files are read by Debian's `python3`. The Python package's command runs inside
/// an interpreter: workers are `sys.executable -m swift_wsgi ARGUMENTS`, and config files are read by
/// that same interpreter (``runCommand(_:invocation:takesApplication:failure:)`` sets it).
///
/// One per process; set before the command's arguments are parsed, read by what they start.
public struct ProgramInvocation: Sendable {
    /// The command's own arguments (after the program name).
    public var arguments: [String]
    /// What a worker process runs: this executable...
    public var workerExecutable: String
    /// ...with these arguments before the command's own.
    public var workerPrefix: [String]
    /// The Python interpreter that executes gunicorn config files.
    public var python: String

    public init(arguments: [String], workerExecutable: String, workerPrefix: [String], python: String) {
        self.arguments = arguments
        self.workerExecutable = workerExecutable
        self.workerPrefix = workerPrefix
        self.python = python
    }

    /// A Swift executable started from the command line.
    public static var executable: ProgramInvocation {
        ProgramInvocation(
            arguments: Array(CommandLine.arguments.dropFirst()), workerExecutable: "/proc/self/exe", workerPrefix: [],
            python: access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3"
        )
    }

    private static let installed = Mutex<ProgramInvocation?>(nil)

    /// This process's invocation: the one the running command was given, else ``executable``.
    public static var current: ProgramInvocation {
        get { installed.withLock { $0 } ?? executable }
        set { installed.withLock { $0 = newValue } }
    }

    /// The command a worker runs: the worker prefix and this command's arguments.
    public var workerArguments: [String] { workerPrefix + arguments }
}
