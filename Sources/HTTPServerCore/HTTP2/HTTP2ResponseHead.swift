import HTTP2
import SharedBytes

/// A response head as HTTP/2 fields (RFC 9113 §8.3.2): `:status`, then the producer's header
/// lines with lower-case names, `content-length` when the producer computed one, and `date` and
/// `server` when it gave none, as the HTTP/1.1 framing adds them. Connection-specific fields are
/// dropped (§8.2.2): producers do not send them (``ResponseHead``'s contract), and no HTTP/1.1
/// field of that kind may reach an HTTP/2 peer.
enum HTTP2ResponseHead {
    static func fields(of head: ResponseHead, context: LoopContext) -> HTTP2Fields {
        var fields = HTTP2Fields(status: head.status)
        // The status line comes first: its fields start after its CRLF.
        appendLines(head.lines.stableBytes, skippingFirst: true, to: &fields)
        if head.appendsContentLength, let length = head.contentLength {
            fields.append(name: "content-length", value: String(length))
        }
        if !head.hasDate { appendLines(context.date.line, skippingFirst: false, to: &fields) }
        if !head.hasServer { appendLines(context.serverLine, skippingFirst: false, to: &fields) }
        return fields
    }

    private static let connectionSpecific: [StaticString] = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]

    /// Adds each `Name: value\r\n` line of `lines`.
    private static func appendLines(_ lines: UnsafeRawBufferPointer, skippingFirst: Bool, to fields: inout HTTP2Fields) {
        var start = 0
        var first = skippingFirst
        while let end = lines[start...].firstIndex(of: UInt8(ascii: "\r")) {
            defer { start = end + 2 }
            if first {
                first = false
                continue
            }
            let line = UnsafeRawBufferPointer(rebasing: lines[start..<end])
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let name = UnsafeRawBufferPointer(rebasing: line[..<colon])
            guard !connectionSpecific.contains(where: { ASCIICase.equal(name, lowercase: $0) }) else { continue }
            var valueStart = colon + 1
            while valueStart < line.count && (line[valueStart] == UInt8(ascii: " ") || line[valueStart] == UInt8(ascii: "\t")) { valueStart += 1 }
            fields.append(name: name.map(ASCIICase.lowercased), value: UnsafeRawBufferPointer(rebasing: line[valueStart...]))
        }
    }
}
