import HTTP1Parser
@testable import ParserFixtures
import Testing

/// What each leniency relaxes is specified by fixtures (Fixtures/leniencies.md).
@Suite("Leniencies")
struct LeniencyTests {
    @Test func noneByDefault() {
        #expect(Leniencies().isEmpty)
    }
}
