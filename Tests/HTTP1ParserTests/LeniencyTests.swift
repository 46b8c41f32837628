import HTTP1Parser
import Testing

/// What each leniency relaxes is specified by fixtures (Fixtures/leniencies.md).
@Suite("Leniencies")
struct LeniencyTests {
    @Test func noneByDefault() {
        #expect(Leniencies().isEmpty)
    }
}
