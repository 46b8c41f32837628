import HTTP1Parser
@testable import ParserFixtures
import Testing

/// Every byte against every character set of the grammar, through the rules that use the set, and
/// at every position of a word (the scans read 8 bytes at a time). The sets are written here from
/// the RFCs, independently of the parser's tables.
@Suite("Character sets, byte by byte")
struct ByteClassTests {
    private static func set(_ characters: String, ranges: [ClosedRange<UInt8>] = []) -> Set<UInt8> {
        Set(latin1(characters)).union(ranges.flatMap { Array($0) })
    }

    private static let letters: [ClosedRange<UInt8>] = [0x41...0x5A, 0x61...0x7A]
    private static let digits: [ClosedRange<UInt8>] = [0x30...0x39]
    /// RFC 9110 §5.6.2.
    private static let tchar = set("!#$%&'*+-.^_`|~", ranges: letters + digits)
    /// RFC 9112 §3.2 as this parser takes it: visible ASCII except "#".
    private static let targetBytes = set("", ranges: [0x21...0x22, 0x24...0x7E])
    /// RFC 3986 §3.2.2 and §3.2.3: unreserved, sub-delims, "%", ":" and the IP-literal brackets.
    private static let hostBytes = set("-._~!$&'()*+,;=%:[]", ranges: letters + digits)
    /// RFC 9110 §5.6.4.
    private static let qdtext = set("\t !", ranges: [0x23...0x5B, 0x5D...0x7E, 0x80...0xFF])
    /// RFC 9110 §5.5: HTAB, SP, VCHAR, obs-text.
    private static let fieldValueBytes = set("\t ", ranges: [0x21...0x7E, 0x80...0xFF])

    /// The one head of `bytes`, or nil if the parser refused them.
    private func head(_ bytes: [UInt8]) -> HeadRecord? {
        let records = transcript(bytes)
        return records.contains { if case .error = $0 { true } else { false } } ? nil : records.first?.head
    }

    @Test(arguments: 0...255)
    func methodBytes(_ byte: Int) {
        let method = latin1("GE") + [UInt8(byte)] + latin1("T")
        let accepted = head(method + latin1(" / HTTP/1.1\r\nHost: a\r\n\r\n"))?.methodRange == 0..<4
        #expect(accepted == Self.tchar.contains(UInt8(byte)))
    }

    @Test(arguments: 0...255)
    func fieldNameBytes(_ byte: Int) {
        for position in 0..<20 {
            var name = latin1("abcdefghijklmnopqrst")
            name[position] = UInt8(byte)
            let parsed = head(latin1("GET / HTTP/1.1\r\nHost: a\r\n") + name + latin1(": v\r\n\r\n"))
            let accepted = parsed?.fields.last?.name == latin1String(name)
            #expect(accepted == Self.tchar.contains(UInt8(byte)), "position \(position)")
        }
    }

    @Test(arguments: 0...255)
    func targetBytes(_ byte: Int) {
        for position in 1..<20 {
            var target = latin1("/abcdefghijklmnopqrs")
            target[position] = UInt8(byte)
            let accepted = head(latin1("GET ") + target + latin1(" HTTP/1.1\r\nHost: a\r\n\r\n"))?.target == latin1String(target)
            #expect(accepted == Self.targetBytes.contains(UInt8(byte)), "position \(position)")
        }
    }

    @Test(arguments: 0...255)
    func hostBytes(_ byte: Int) {
        let host = latin1("a") + [UInt8(byte)] + latin1("b")
        let accepted = head(latin1("GET / HTTP/1.1\r\nHost: ") + host + latin1("\r\n\r\n")) != nil
        #expect(accepted == Self.hostBytes.contains(UInt8(byte)))
    }

    @Test(arguments: 0...255)
    func fieldValueBytes(_ byte: Int) {
        for position in 1..<19 {
            var value = latin1("abcdefghijklmnopqrst")
            value[position] = UInt8(byte)
            let parsed = head(latin1("GET / HTTP/1.1\r\nHost: a\r\nX: ") + value + latin1("\r\n\r\n"))
            #expect((parsed?.fields.last?.value == latin1String(value)) == Self.fieldValueBytes.contains(UInt8(byte)), "position \(position)")
        }
    }

    @Test(arguments: 0...255)
    func quotedStringBytes(_ byte: Int) {
        let body = latin1("1;a=\"") + [UInt8(byte)] + latin1("\"\r\nx\r\n0\r\n\r\n")
        let records = transcript(latin1("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n") + body)
        #expect(records.contains(.end) == Self.qdtext.contains(UInt8(byte)))
    }
}
