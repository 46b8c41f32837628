/// The user name of an `Authorization: Basic <base64 of user:password>` value (RFC 7617), as
/// gunicorn's `%(u)s` shows it; nil for other schemes and for what does not decode. The password
/// is never kept.
enum BasicAuthorization {
    static func user(_ value: UnsafeRawBufferPointer) -> ArraySlice<UInt8>? {
        // The scheme is case-insensitive: "Basic", "basic", ...
        let scheme = Array("basic ".utf8)
        guard value.count > scheme.count, value.prefix(scheme.count).map({ $0 | 0x20 }) == scheme else { return nil }
        var decoded: [UInt8] = []
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in value.dropFirst(scheme.count) where byte != UInt8(ascii: "=") {
            guard let sextet = sextet(byte) else { return nil }
            accumulator = accumulator << 6 | UInt32(sextet)
            bits += 6
            if bits >= 8 {
                bits -= 8
                decoded.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        guard let colon = decoded.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        return decoded[..<colon]
    }

    private static func sextet(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): return 62
        case UInt8(ascii: "/"): return 63
        default: return nil
        }
    }
}
