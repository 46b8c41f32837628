import Logging
import Testing
import TestSupport
@testable import HTTPServerCore

/// The limit on records a client can cause, on a clock the test sets.
@Suite struct LogRateLimitTests {
    @Test func tenASecondThenOneRecordCountingTheRest() {
        let recorder = LogRecorder()
        let logger = recorder.logger()
        var limit = LogRateLimit()
        for _ in 0..<25 { limit.log(logger, level: .info, "refused request", metadata: [:], now: 5_000) }
        #expect(recorder.records.count == LogRateLimit.perSecond)
        // The next second: the count of the last one comes first, then its own records.
        limit.log(logger, level: .info, "refused request", metadata: [:], now: 6_100)
        #expect(recorder.records.map(\.message).suffix(2) == ["15 similar records not logged (more than 10 a second)", "refused request"])
        // The sweep reports a past second's count even when nothing more comes.
        for _ in 0..<12 { limit.log(logger, level: .info, "refused request", metadata: [:], now: 6_900) }
        let before = recorder.records.count
        limit.startSecond(of: 6_950, logger: logger, level: .info)
        #expect(recorder.records.count == before)
        limit.startSecond(of: 7_000, logger: logger, level: .info)
        #expect(recorder.records.last?.message == "3 similar records not logged (more than 10 a second)")
    }
}
