/// Character sets of the grammar that are not ranges, as bit flags in one 256-entry table.
struct ByteClass: OptionSet {
    let rawValue: UInt8

    /// `tchar` (RFC 9110 §5.6.2): methods, field names, transfer codings, chunk extension names.
    static let token = ByteClass(rawValue: 1 << 0)
    /// Bytes accepted in a request-target: visible ASCII except `#` (a fragment is never sent).
    /// `Input.scanTarget` tests the same set word by word.
    static let target = ByteClass(rawValue: 1 << 1)
    /// Bytes of `uri-host [":" port]`: unreserved, sub-delims, `%`, `:`, `[`, `]` (RFC 3986 §3.2).
    static let host = ByteClass(rawValue: 1 << 2)
    /// `qdtext` (RFC 9110 §5.6.4): inside a quoted-string, anything but controls, DEL, `"` and `\`.
    static let quotedText = ByteClass(rawValue: 1 << 3)
}

/// The lookup table behind `ByteClass`: one load and one mask test per byte in the hot loops.
///
/// The table is built once, never written again and never freed, so sharing its pointer across
/// threads is safe; that is the whole justification for `@unchecked Sendable`.
struct CharacterClasses: @unchecked Sendable {
    static let shared = CharacterClasses()

    private let table: UnsafeMutablePointer<ByteClass>

    private init() {
        table = .allocate(capacity: 256)
        for byte in 0...255 {
            (table + byte).initialize(to: Self.classes(of: UInt8(byte)))
        }
    }

    /// Any `UInt8` is a valid index: the table has 256 entries.
    @inline(__always)
    subscript(byte: UInt8) -> ByteClass {
        table[Int(byte)]
    }

    private static func classes(of byte: UInt8) -> ByteClass {
        let alphanumeric = (byte | 0x20) &- 0x61 < 26 || ASCII.isDigit(byte)
        var result: ByteClass = []
        if alphanumeric || "!#$%&'*+-.^_`|~".utf8.contains(byte) {
            result.insert(.token)
        }
        if byte > ASCII.space && byte < ASCII.delete && byte != ASCII.hash {
            result.insert(.target)
        }
        if alphanumeric || "-._~!$&'()*+,;=%:[]".utf8.contains(byte) {
            result.insert(.host)
        }
        if byte == ASCII.tab || byte == ASCII.space || byte == 0x21 || (0x23...0x5B).contains(byte)
            || (0x5D...0x7E).contains(byte) || byte >= 0x80
        {
            result.insert(.quotedText)
        }
        return result
    }
}
