import HTTPServerCore
import SharedBytes
import WSGI

/// Checks the status and headers an application passed to `start_response` (PEP 3333 and RFC 9110,
/// the rules of ``ResponseRules``) and encodes them as the core's ``ResponseHead``.
public enum ResponseHeadEncoder {
    /// The head for `status` and `headers`, or the ``WSGIError`` naming what is wrong: a bad status
    /// line, an invalid header name or value, a scalar above U+00FF, a hop-by-hop header, a second
    /// or malformed Content-Length. A Content-Length on a status that forbids one (1xx, 204) is
    /// dropped, as the core would never send it.
    public static func encode(status: String, headers: ResponseHeaders) throws -> ResponseHead {
        let code = try ResponseRules.statusCode(of: status)
        var contentLength: Int?
        var hasDate = false
        var hasServer = false
        var contentLengthIndex: Int?
        var capacity = status.utf8.count + 2
        for (index, (name, value)) in headers.enumerated() {
            switch try ResponseRules.classify(headerName: name, value: value) {
            case .contentLength:
                // A second Content-Length, even an equal one, would give the client two framings.
                guard contentLength == nil, let length = decimal(value) else { throw WSGIError.invalidHeaderValue(name: name) }
                contentLength = length
                contentLengthIndex = index
            case .date: hasDate = true
            case .server: hasServer = true
            case .other: break
            }
            capacity += name.utf8.count + value.utf8.count + 4
        }
        let dropsLength = ResponseHead.forbidsContentLength(status: code)
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(1, capacity), alignment: 16)
        var lines = LineWriter(base: memory)
        lines.append(status)
        lines.append("\r\n")
        for (index, (name, value)) in headers.enumerated() where !(dropsLength && index == contentLengthIndex) {
            lines.append(name)
            lines.append(": ")
            lines.append(value)
            lines.append("\r\n")
        }
        let encoded = ByteStorage(adopting: memory, count: lines.count)
        return ResponseHead(
            status: code, lines: Bytes(encoded), contentLength: dropsLength ? nil : contentLength,
            hasDate: hasDate, hasServer: hasServer
        )
    }

    /// `1*DIGIT` as an Int; nil for anything else (signs, spaces, overflow).
    private static func decimal(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }) else { return nil }
        return Int(text)
    }

    /// Appends ISO-8859-1 text to memory sized for its UTF-8 (never smaller: a scalar up to U+00FF
    /// takes one byte here and one or two in UTF-8). Callers validated every scalar is at most U+00FF.
    private struct LineWriter {
        let base: UnsafeMutableRawPointer
        var count = 0

        mutating func append(_ text: String) {
            var text = text
            text.withUTF8 { utf8 in
                guard let start = utf8.baseAddress, !utf8.isEmpty else { return }
                if !utf8.contains(where: { $0 >= 0x80 }) {
                    (base + count).copyMemory(from: start, byteCount: utf8.count)
                    count += utf8.count
                    return
                }
                for scalar in String(decoding: utf8, as: UTF8.self).unicodeScalars {
                    base.storeBytes(of: UInt8(truncatingIfNeeded: scalar.value), toByteOffset: count, as: UInt8.self)
                    count += 1
                }
            }
        }
    }
}
