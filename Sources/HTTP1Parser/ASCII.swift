/// The ASCII bytes the HTTP/1.1 grammar names, and the arithmetic tests that need no table.
@usableFromInline
enum ASCII {
    static let tab: UInt8 = 0x09
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22
    static let hash: UInt8 = 0x23
    static let asterisk: UInt8 = 0x2A
    static let comma: UInt8 = 0x2C
    static let dash: UInt8 = 0x2D
    static let period: UInt8 = 0x2E
    static let slash: UInt8 = 0x2F
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let equals: UInt8 = 0x3D
    static let questionMark: UInt8 = 0x3F
    static let openBracket: UInt8 = 0x5B
    static let backslash: UInt8 = 0x5C
    static let closeBracket: UInt8 = 0x5D
    static let delete: UInt8 = 0x7F

    /// SP or HTAB: the only bytes OWS and BWS may contain (RFC 9110 §5.6.3), never \x0b, \x0c or \x85.
    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == space || byte == tab
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        byte &- 0x30 < 10
    }

    /// A field-value byte (RFC 9110 §5.5): HTAB, SP, VCHAR or obs-text; that is, anything but DEL and
    /// the controls other than HTAB.
    @inline(__always)
    static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte >= space ? byte != delete : byte == tab
    }

    /// The value of a hex digit, nil for any other byte (no `0x` prefix, no sign).
    @inlinable @inline(__always)
    static func hexValue(_ byte: UInt8) -> Int? {
        let digit = byte &- 0x30
        if digit < 10 { return Int(digit) }
        let letter = (byte | 0x20) &- 0x61
        return letter < 6 ? Int(letter) + 10 : nil
    }

    /// ASCII lowercase; every other byte unchanged (so `\r` never turns into `-`).
    @inline(__always)
    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte &- 0x41 < 26 ? byte | 0x20 : byte
    }
}
