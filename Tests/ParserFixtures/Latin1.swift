/// Bytes of `text` with every Unicode scalar below U+0100 as one byte (Latin-1), so a test can
/// write `"\u{85}"` for the raw byte 0x85 and `"ß"` for 0xDF.
func latin1(_ text: String) -> [UInt8] {
    text.unicodeScalars.map { scalar in
        precondition(scalar.value < 0x100, "not a Latin-1 scalar")
        return UInt8(scalar.value)
    }
}

/// The inverse of `latin1`: one Unicode scalar per byte, so any byte survives into the string.
func latin1String(_ bytes: some Sequence<UInt8>) -> String {
    var text = ""
    text.unicodeScalars.append(contentsOf: bytes.map { Unicode.Scalar($0) })
    return text
}
