import CLibUV
import Glibc

/// A child process (`uv_spawn`), with a callback when it exits.
///
/// Used by the worker supervisor: workers are started by spawn-and-exec of the same binary (fork
/// is unsafe in a process that already has other threads; the supervisor forks only with
/// `--preload`, and only alone), inheriting the listening socket. Thread: the loop's thread only.
public final class ChildProcess: Handle {
    /// What the child finds at each descriptor number, in order from 0.
    public enum Descriptor {
        /// The parent's descriptor, under the slot's number in the child.
        case inherit(Int32)
        /// A new pipe: the child writes its end; the parent reads `Pipe`.
        case pipe(Pipe)
        /// Nothing (closed in the child).
        case ignore
    }

    /// The child's process id.
    public private(set) var pid: Int32 = 0
    private var onExit: ((_ status: Int64, _ signal: Int32) -> Void)?

    /// Starts `executable` with `arguments` (argv[0] excluded) and `descriptors`; the environment
    /// is inherited, plus `environment` entries (`NAME=value`).
    public init(loop: Loop, executable: String, arguments: [String], environment: [String] = [],
                descriptors: [Descriptor], onExit: @escaping (_ status: Int64, _ signal: Int32) -> Void) throws {
        self.onExit = onExit
        let argv = CStringArray([executable] + arguments)
        let environ = environment.isEmpty ? nil : CStringArray(ChildProcess.currentEnvironment() + environment)
        defer {
            argv.free()
            environ?.free()
        }
        var stdio = descriptors.map { descriptor -> uv_stdio_container_t in
            var container = uv_stdio_container_t()
            switch descriptor {
            case .inherit(let fd):
                container.flags = UV_INHERIT_FD
                container.data.fd = fd
            case .pipe(let pipe):
                container.flags = uv_stdio_flags(UV_CREATE_PIPE.rawValue | UV_WRITABLE_PIPE.rawValue)
                container.data.stream = pipe.stream
            case .ignore:
                container.flags = UV_IGNORE
            }
            return container
        }
        try super.init(loop: loop, type: UV_PROCESS, "uv_spawn \(executable)", registeredOnFailure: true) { memory in
            stdio.withUnsafeMutableBufferPointer { stdio in
                var options = uv_process_options_t()
                options.exit_cb = exitCallback
                options.file = UnsafePointer(argv.pointers[0])
                options.args = argv.pointers
                options.env = environ?.pointers
                options.stdio_count = Int32(stdio.count)
                options.stdio = stdio.baseAddress
                return uv_spawn(loop.raw, memory.assumingMemoryBound(to: uv_process_t.self), &options)
            }
        }
        pid = UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_process_t.self).pointee.pid
    }

    /// Sends `signal` to the child.
    public func kill(_ signal: Int32) throws {
        try UVError.check(uv_process_kill(UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_process_t.self), signal), "kill \(pid)")
    }

    fileprivate func exited(status: Int64, signal: Int32) {
        let callback = onExit
        onExit = nil
        callback?(status, signal)
    }

    override func didClose() { onExit = nil }

    private static func currentEnvironment() -> [String] {
        var entries: [String] = []
        var cursor = Glibc.environ
        while let entry = cursor.pointee {
            entries.append(String(cString: entry))
            cursor += 1
        }
        return entries
    }
}

/// A NULL-terminated `char*[]` built from Swift strings, freed explicitly.
private struct CStringArray {
    let pointers: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    let count: Int

    init(_ strings: [String]) {
        count = strings.count
        pointers = .allocate(capacity: strings.count + 1)
        for (index, string) in strings.enumerated() { pointers[index] = strdup(string) }
        pointers[strings.count] = nil
    }

    func free() {
        for index in 0..<count { Glibc.free(pointers[index]) }
        pointers.deallocate()
    }
}

private let exitCallback: uv_exit_cb = { process, status, signal in
    guard let process, process.pointee.data != nil else { return }
    Handle.owner(UnsafeMutableRawPointer(process), as: ChildProcess.self).exited(status: status, signal: signal)
}
