import Foundation
import HTTPServerCore
import Testing

/// One version string (``ServerVersion``): the default `Server` header and every document that
/// quotes the release say the same as `--version`.
@Suite struct VersionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theServerHeaderCarriesTheVersion() {
        #expect(ServerConfiguration().serverSoftware == "swift-wsgi/\(ServerVersion.current)")
    }

    @Test(arguments: ["README.md", "docs/ENVIRON.md", "Documentation/WSGIServer.docc/ConfigurationReference.md", "Documentation/WSGIServer.docc/Embedding.md"])
    func documentsQuoteTheCurrentVersion(_ path: String) throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent(path), encoding: .utf8)
        let quoted = Set(text.matches(of: /(?:swift-wsgi\/|from: ")(\d+\.\d+\.\d+)/).map { String($0.1) })
        #expect(!quoted.isEmpty, "\(path) quotes no version")
        #expect(quoted == [ServerVersion.current], "\(path) quotes \(quoted)")
    }
}
