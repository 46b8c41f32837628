import HTTPServerCore
import Logging
import Synchronization

extension ServingOptions {
    /// The error log (`--error-logfile`, at `--log-level`) for every logger of the process: set by
    /// the first caller, before any logger is made (swift-log takes one bootstrap per process; a
    /// later server of the same process, a second `make_server`, logs where the first one does).
    public func bootstrapLogging() throws {
        let descriptor = try LogFile.open(logging.errorLogfile, standard: 2)
        let level = logging.level ?? .info
        let first = LoggingBootstrap.done.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        LoggingSystem.bootstrap { label in LineLogHandler(label: label, descriptor: descriptor, level: level) }
    }

    /// The access log the flags ask for, opened; nil without `--access-logfile`.
    public func openAccessLog() throws -> AccessLog? {
        guard let path = logging.accessLogfile else { return nil }
        return AccessLog(format: AccessLogFormat(logging.accessLogformat), destination: .descriptor(try LogFile.open(path, standard: 1)))
    }
}

/// Whether this process's logging is set up.
private enum LoggingBootstrap {
    static let done = Mutex(false)
}
