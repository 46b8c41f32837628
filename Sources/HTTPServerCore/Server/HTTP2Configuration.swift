import HTTP2

/// Whether and how the server speaks HTTP/2 (`--http2`).
public struct HTTP2Configuration: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        /// HTTP/1.1 only: ALPN offers `http/1.1`; a prior-knowledge preface is answered 505.
        case off
        /// Both: ALPN offers `h2` first, then `http/1.1`; a plain connection that starts with the
        /// HTTP/2 preface speaks HTTP/2 (h2c with prior knowledge), any other HTTP/1.1.
        case on
        /// HTTP/2 only: ALPN offers `h2` alone; plain connections must start with the preface.
        case only
    }

    public var mode = Mode.on
    /// The limits each HTTP/2 connection announces and enforces.
    public var settings = HTTP2Settings()

    public init(mode: Mode = .on, settings: HTTP2Settings = HTTP2Settings()) {
        self.mode = mode
        self.settings = settings
    }

    /// What ALPN offers, in the server's order of preference.
    var alpnProtocols: [String] {
        switch mode {
        case .off: ["http/1.1"]
        case .on: ["h2", "http/1.1"]
        case .only: ["h2"]
        }
    }
}
