import HTTP1Parser
import Testing

@Suite("Parse errors")
struct ParseErrorTests {
    @Test func statuses() {
        let expected: [ParseError: Int] = [
            .requestLineTooLong: 414,
            .fieldTooLong: 431, .tooManyFields: 431, .headTooLarge: 431, .trailerTooLarge: 431,
            .bodyTooLarge: 413,
            .unsupportedTransferEncoding: 501,
            .unsupportedVersion: 505, .http2Preface: 505,
        ]
        for error in ParseError.allCases {
            #expect(error.status == expected[error, default: 400], "\(error)")
        }
    }

    @Test func reasonsAreShortAndDistinct() {
        let reasons = ParseError.allCases.map(\.reason)
        #expect(Set(reasons).count == reasons.count)
        for reason in reasons {
            #expect(!reason.isEmpty && reason.count <= 60, "\(reason)")
        }
    }
}
