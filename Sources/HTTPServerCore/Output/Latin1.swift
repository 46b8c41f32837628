/// ISO-8859-1 conversions between wire bytes and Swift strings (PEP 3333's "native strings").
public enum Latin1 {
    /// Each byte becomes the scalar of the same value. ASCII, the usual case, takes the fast path.
    public static func string(_ bytes: UnsafeRawBufferPointer) -> String {
        var ascii = true
        for byte in bytes where byte >= 0x80 {
            ascii = false
            break
        }
        if ascii { return String(decoding: bytes, as: UTF8.self) }
        var scalars = String.UnicodeScalarView()
        for byte in bytes { scalars.append(Unicode.Scalar(byte)) }
        return String(scalars)
    }

    /// Appends the ISO-8859-1 bytes of `text` (every scalar must be at most U+00FF: callers
    /// validated it) to `output`.
    static func encode(_ text: String, into output: inout OutputBuffer) {
        var text = text
        text.withUTF8 { utf8 in
            var hasHighBytes = false
            for byte in utf8 where byte >= 0x80 {
                hasHighBytes = true
                break
            }
            if !hasHighBytes {
                output.append(UnsafeRawBufferPointer(utf8))
                return
            }
            for scalar in String(decoding: utf8, as: UTF8.self).unicodeScalars {
                output.append(UInt8(truncatingIfNeeded: scalar.value))
            }
        }
    }
}
