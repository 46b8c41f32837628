import Glibc
import Supervisor

/// A gunicorn configuration file (`-c gunicorn.conf.py`), read as gunicorn reads it: it is Python,
/// executed by Debian's `python3` (the standard library is all such files import), and its
/// top-level names are the settings. The ones this server has become arguments; its server hooks
/// are run by `swift-wsgi` in its own interpreter (PythonHooks); every other gunicorn setting it
/// sets (`daemon`, `user`, ...) is reported once as ignored; names gunicorn does not know are the
/// file's own helpers, ignored silently as gunicorn does.
enum GunicornConfig {
    /// One top-level name of the file.
    struct Setting: Equatable {
        enum Value: Equatable {
            case none
            case bool(Bool)
            case scalar(String)
            case list([String])
            case callable
            case other(String)
        }

        let name: String
        let value: Value
    }

    /// Executes the file and returns its settings; throws when it cannot (missing file, Python
    /// error: its traceback went to standard error).
    static func read(_ path: String, python: String) throws -> [Setting] {
        guard access(path, R_OK) == 0 else { throw CommandLineError("cannot read config file \(path): \(String(cString: strerror(errno)))") }
        let (status, output) = try run([python, "-c", dumper, path])
        guard status == 0 else { throw CommandLineError("config file \(path) failed to execute (the error is above)") }
        var settings: [Setting] = []
        for record in output.split(separator: 0) {
            let fields = record.split(separator: 0x1F, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            guard fields.count >= 2 else { continue }
            let value: Setting.Value
            switch fields[1] {
            case "none": value = .none
            case "bool": value = .bool(fields.count > 2 && fields[2] == "1")
            case "scalar": value = .scalar(fields.count > 2 ? fields[2] : "")
            case "list": value = .list(Array(fields.dropFirst(2)))
            case "callable": value = .callable
            default: value = .other(fields.count > 2 ? fields[2] : "")
            }
            settings.append(Setting(name: fields[0], value: value))
        }
        return settings
    }

    /// The arguments the settings stand for, for `command`; ignored settings are reported on
    /// standard error (not by workers, which read the same file after their master did).
    static func arguments(for settings: [Setting], command: String, takesApplication: Bool) -> [String] {
        var arguments: [String] = []
        for setting in settings {
            switch translate(setting, takesApplication: takesApplication) {
            case .arguments(let more): arguments += more
            case .ignored(let reason):
                if !WorkerLink.isWorkerProcess { printLine("\(command): ignoring gunicorn setting '\(setting.name)' (\(reason))", to: 2) }
            case .unknown: break
            }
        }
        return arguments
    }

    enum Translation: Equatable {
        case arguments([String])
        case ignored(String)
        /// Not a gunicorn setting: the file's own name.
        case unknown
    }

    /// gunicorn setting name -> our long option, for settings that are one value.
    static let options: [String: String] = [
        "workers": "--workers", "threads": "--threads", "backlog": "--backlog", "timeout": "--timeout",
        "graceful_timeout": "--graceful-timeout", "keepalive": "--keep-alive", "max_requests": "--max-requests",
        "max_requests_jitter": "--max-requests-jitter", "limit_request_line": "--limit-request-line",
        "limit_request_fields": "--limit-request-fields", "limit_request_field_size": "--limit-request-field-size",
        "worker_class": "--worker-class", "accesslog": "--access-logfile", "access_log_format": "--access-logformat",
        "errorlog": "--error-logfile", "loglevel": "--log-level", "pidfile": "--pid", "chdir": "--chdir",
        "certfile": "--certfile", "keyfile": "--keyfile", "ca_certs": "--ca-certs", "cert_reqs": "--cert-reqs",
        "ciphers": "--ciphers", "static_max_age": "--static-max-age", "static_immutable_pattern": "--static-immutable-pattern",
        "health_check_path": "--health-check-path", "drain_delay": "--drain-delay", "max_worker_memory": "--max-worker-memory",
        "max_worker_lifetime": "--max-worker-lifetime", "max_worker_lifetime_jitter": "--max-worker-lifetime-jitter",
        "http2": "--http2", "http2_max_concurrent_streams": "--http2-max-concurrent-streams",
        "http2_initial_window_size": "--http2-initial-window-size",
    ]

    /// gunicorn settings this server does not have (its hooks among them).
    static let unsupported: Set<String> = [
        "daemon", "raw_env", "user", "group", "proc_name", "default_proc_name", "sendfile", "reuse_port",
        "worker_connections", "worker_tmp_dir", "tmp_upload_dir", "secure_scheme_headers", "proxy_protocol",
        "proxy_allow_ips", "ssl_version", "suppress_ragged_eofs", "do_handshake_on_connect", "capture_output", "logger_class", "logconfig", "logconfig_dict",
        "logconfig_json", "syslog", "syslog_addr", "syslog_prefix", "syslog_facility", "enable_stdio_inheritance",
        "disable_redirect_access_to_syslog", "statsd_host", "statsd_prefix", "dogstatsd_tags", "print_config", "spew",
        "reload_engine", "reload_extra_files", "paste", "initgroups", "strip_header_spaces", "header_map",
        "permit_unconventional_http_method", "permit_unconventional_http_version", "casefold_http_method",
        "permit_obsolete_folding", "forwarder_headers", "limit_request_body_size", "ssl_context", "config", "env",
    ]

    /// gunicorn's server hooks: `swift-wsgi` runs them in its own interpreter (PythonHooks), except
    /// the two whose moment never comes here.
    static let hooks: Set<String> = [
        "on_starting", "on_reload", "when_ready", "pre_fork", "post_fork", "post_worker_init", "worker_int", "pre_request",
        "post_request", "child_exit", "worker_exit", "nworkers_changed", "on_exit",
    ]
    static let hooksNeverCalled: [String: String] = [
        "worker_abort": "a worker past --timeout is killed with SIGKILL, which no hook survives",
        "pre_exec": "the master does not re-execute itself (no SIGUSR2 upgrade)",
    ]

    /// Settings that are not one value of one option.
    static let special: Set<String> = [
        "bind", "forwarded_allow_ips", "umask", "reload", "check_config", "wsgi_app", "pythonpath", "static", "request_start_header", "preload_app",
    ]

    static func translate(_ setting: Setting, takesApplication: Bool) -> Translation {
        let name = setting.name
        if unsupported.contains(name) { return .ignored("not supported") }
        if hooks.contains(name) { return takesApplication ? .arguments([]) : .ignored("server hooks run in swift-wsgi only") }
        if let reason = hooksNeverCalled[name] { return .ignored("never called: \(reason)") }
        guard options[name] != nil || special.contains(name) else { return .unknown }
        if setting.value == .none { return .arguments([]) }
        if ["wsgi_app", "pythonpath", "reload", "preload_app"].contains(name) && !takesApplication { return .ignored("this command serves no Python application") }
        switch (name, setting.value) {
        case ("bind", .scalar(let address)): return .arguments(["--bind", address])
        case ("bind", .list(let addresses)): return .arguments(addresses.flatMap { ["--bind", $0] })
        case ("forwarded_allow_ips", .scalar(let list)): return .arguments(["--forwarded-allow-ips", list])
        case ("forwarded_allow_ips", .list(let list)): return .arguments(["--forwarded-allow-ips", list.joined(separator: ",")])
        case ("umask", .scalar(let value)): return .arguments(["--umask", Int(value).map { "0o" + String($0, radix: 8) } ?? value])
        case ("reload", .bool(let on)): return .arguments(on ? ["--reload"] : [])
        case ("preload_app", .bool(let on)): return .arguments(on ? ["--preload"] : [])
        case ("request_start_header", .bool(let on)): return .arguments(on ? ["--request-start-header"] : [])
        case ("static", .scalar(let mount)): return .arguments(["--static", mount])
        case ("static", .list(let mounts)): return .arguments(mounts.flatMap { ["--static", $0] })
        case ("check_config", .bool(let on)): return .arguments(on ? ["--check-config"] : [])
        case ("wsgi_app", .scalar(let application)): return .arguments([application])
        case ("pythonpath", .scalar(let paths)): return .arguments(paths.split(separator: ",").flatMap { ["--pythonpath", String($0)] })
        case (_, .scalar(let value)) where options[name] != nil: return .arguments([options[name]!, value])
        default: return .ignored("unexpected value")
        }
    }

    // MARK: Running Python

    /// Prints each top-level name as `name US kind US value...` records separated by NUL.
    static let dumper = """
        import runpy, sys, types
        names = runpy.run_path(sys.argv[1], run_name="__config__")
        out = []
        for name, value in names.items():
            if name.startswith("_") or isinstance(value, types.ModuleType):
                continue
            if value is None:
                fields = ["none"]
            elif isinstance(value, bool):
                fields = ["bool", "1" if value else "0"]
            elif isinstance(value, (str, int, float)):
                fields = ["scalar", str(value)]
            elif isinstance(value, (list, tuple)) and all(isinstance(v, (str, int)) for v in value):
                fields = ["list"] + [str(v) for v in value]
            elif callable(value):
                fields = ["callable"]
            else:
                fields = ["other", repr(value)]
            out.append("\\x1f".join([name] + [f.replace("\\0", "") for f in fields]))
        sys.stdout.write("\\0".join(out))
        """

    /// Runs `argv` with its standard output captured (standard error stays the command's).
    private static func run(_ argv: [String]) throws -> (status: Int32, output: [UInt8]) {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw CommandLineError("pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, argv[0], &actions, nil, &cArguments, environ)
        close(pipeEnds[1])
        guard spawned == 0 else {
            close(pipeEnds[0])
            throw CommandLineError("cannot run \(argv[0]) to read the config file: \(String(cString: strerror(spawned)))")
        }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = Glibc.read(pipeEnds[0], &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            output += chunk[..<count]
        }
        close(pipeEnds[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return ((status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F), output)
    }
}

