import Logging

/// Where and how a server logs one line per response (see ``AccessLogFormat``).
///
/// To a file descriptor, lines are formatted straight into a buffer of each loop and written within
/// 50 ms of their response (``AccessLogWriter``), a whole number of lines per `write(2)` and at most
/// `PIPE_BUF` bytes, so that the lines of several loops and worker processes sharing one file or
/// pipe never interleave. To a `Logger`, each line is one `info` record (its message), for
/// embedders whose logging goes through swift-log.
public struct AccessLog: Sendable {
    public enum Destination: Sendable {
        /// An open descriptor (opened `O_APPEND` for a file), which the server never closes.
        case descriptor(Int32)
        case logger(Logger)
    }

    public var format: AccessLogFormat
    public var destination: Destination

    public init(format: AccessLogFormat = .gunicornDefault, destination: Destination) {
        self.format = format
        self.destination = destination
    }
}
