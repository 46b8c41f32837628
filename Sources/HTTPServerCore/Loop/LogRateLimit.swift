import Logging

/// At most ``perSecond`` records of one kind per second from a loop (refused requests,
/// timeouts: what a hostile or broken client can cause at will); the ones beyond are counted and
/// reported in one record when the next second's first one is logged, so a flood costs a few lines,
/// never a log line per request. Loop thread only.
struct LogRateLimit {
    static let perSecond = 10
    private var second: UInt64 = 0
    private var logged = 0
    private var suppressed = 0

    /// Logs `message` through `logger` when this second's allowance is not spent; `now` is the
    /// loop's clock in milliseconds.
    mutating func log(_ logger: Logger, level: Logger.Level, _ message: Logger.Message, metadata: @autoclosure () -> Logger.Metadata, now: UInt64) {
        startSecond(of: now, logger: logger, level: level)
        guard logged < Self.perSecond else {
            suppressed += 1
            return
        }
        logged += 1
        logger.log(level: level, message, metadata: metadata())
    }

    /// Reports what a past second suppressed (the loop's sweep calls it, so that the count of a
    /// flood that stopped is not lost).
    mutating func startSecond(of now: UInt64, logger: Logger, level: Logger.Level) {
        let current = now / 1000
        guard current != second else { return }
        if suppressed > 0 {
            logger.log(level: level, "\(suppressed) similar records not logged (more than \(Self.perSecond) a second)")
        }
        second = current
        logged = 0
        suppressed = 0
    }
}
