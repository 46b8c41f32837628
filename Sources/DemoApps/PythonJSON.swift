/// A JSON value encoded byte for byte as Python's `json.dumps(value, sort_keys=True)` encodes it,
/// which is what clients of the echo reference compare against.
///
/// That means: separators `", "` and `": "`; object keys sorted by code point; strings ASCII-only,
/// with `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, and `\uXXXX` (lower-case hex, surrogate pairs
/// above U+FFFF) for every other scalar outside U+0020...U+007E.
enum PythonJSON {
    case integer(Int)
    case string(String)
    case object([String: PythonJSON])

    /// The encoded text, ASCII bytes.
    var encoded: [UInt8] {
        var out: [UInt8] = []
        append(to: &out)
        return out
    }

    private func append(to out: inout [UInt8]) {
        switch self {
        case .integer(let value):
            out += String(value).utf8
        case .string(let text):
            Self.append(string: text, to: &out)
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            let keys = members.keys.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) { $0.value < $1.value } }
            for (index, key) in keys.enumerated() {
                if index > 0 { out += ", ".utf8 }
                Self.append(string: key, to: &out)
                out += ": ".utf8
                members[key]!.append(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func append(string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += #"\""#.utf8
            case "\\": out += #"\\"#.utf8
            case "\u{08}": out += #"\b"#.utf8
            case "\u{0C}": out += #"\f"#.utf8
            case "\n": out += #"\n"#.utf8
            case "\r": out += #"\r"#.utf8
            case "\t": out += #"\t"#.utf8
            case " "..."~": out.append(UInt8(scalar.value))
            default:
                if scalar.value < 0x10000 {
                    appendEscape(UInt16(scalar.value), to: &out)
                } else {
                    let value = scalar.value - 0x10000
                    appendEscape(UInt16(0xD800 | value >> 10), to: &out)
                    appendEscape(UInt16(0xDC00 | value & 0x3FF), to: &out)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendEscape(_ unit: UInt16, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out += #"\u"#.utf8
        for shift in stride(from: 12, through: 0, by: -4) {
            out.append(hex[Int(unit >> UInt16(shift) & 0xF)])
        }
    }
}
