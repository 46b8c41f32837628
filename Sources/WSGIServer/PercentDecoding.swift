import HTTPServerCore

/// `%XX` decoding of a request path to bytes, then to a native string (PEP 3333: PATH_INFO is
/// "bytes decoded as ISO-8859-1", as wsgiref's `unquote_to_bytes(path).decode('iso-8859-1')`).
enum PercentDecoding {
    /// Decodes `%XX` escapes; a `%` not followed by two hex digits stays as it is.
    static func decodedLatin1(_ bytes: UnsafeRawBufferPointer) -> String {
        guard bytes.contains(UInt8(ascii: "%")) else { return Latin1.string(bytes) }
        var decoded = [UInt8]()
        decoded.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%"), index + 2 < bytes.count,
               let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(byte)
                index += 1
            }
        }
        return decoded.withUnsafeBytes { Latin1.string($0) }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
