/// Relaxations of the strict RFC 9112 grammar, each separately named and all off by default.
///
/// A leniency exists only where a deployment may need to talk to a broken client; each one widens
/// what this parser accepts, so enabling one behind a proxy that frames differently can reopen a
/// request-smuggling path. None of them ever makes the parser accept a bare CR.
public struct Leniencies: OptionSet, Sendable {
    public let rawValue: UInt32

    /// - Parameter rawValue: the option bits; use the named options instead.
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// Accept a bare LF wherever CRLF ends a line: the request line, header and trailer field lines,
    /// the empty line ending the head or the trailers, chunk-size lines, and after chunk data.
    /// Without it a bare LF is `.bareLF` (400).
    public static let allowBareLF = Leniencies(rawValue: 1 << 0)
}
