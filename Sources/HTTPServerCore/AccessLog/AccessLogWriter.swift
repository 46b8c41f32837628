import Glibc

/// One loop's access log: formats each response's line (``AccessLog``) into a buffer, and writes
/// the buffer at the loop's flush point (``flush()``) or when it fills. Loop thread only.
struct AccessLogWriter: ~Copyable {
    private let log: AccessLog
    private var buffer = OutputBuffer(capacity: 8192)
    /// `[06/Dec/2026:17:20:00 +0000]`, or the JSON form, for ``cachedSecond``.
    private var cachedTime: [UInt8] = []
    private var cachedSecond: time_t = -1
    private let pid = getpid()

    init(_ log: AccessLog) { self.log = log }

    var format: AccessLogFormat { log.format }

    /// Adds the line of a response to `record`'s request.
    mutating func append(_ record: borrowing AccessRecord, peer: ConnectionInfo, status: Int, bytes: Int) {
        let elapsed = AccessRecord.monotonicNanoseconds() &- record.start
        let lineStart = buffer.count
        refreshTime()
        if log.format.isJSON {
            appendJSON(record, peer: peer, status: status, bytes: bytes, microseconds: elapsed / 1000)
        } else {
            for segment in log.format.segments {
                switch segment {
                case .literal(let text): buffer.append(text)
                case .atom(let atom): append(atom, record, peer: peer, status: status, bytes: bytes, nanoseconds: elapsed)
                }
            }
        }
        buffer.append(UInt8(ascii: "\n"))
        if case .logger(let logger) = log.destination {
            logger.info("\(String(decoding: buffer.bytes(lineStart..<buffer.count - 1), as: UTF8.self))")
            buffer.removeAll()
        } else if buffer.count >= 64 * 1024 {
            flush()
        }
    }

    /// Writes the buffered lines.
    mutating func flush() {
        guard buffer.count > 0, case .descriptor(let fd) = log.destination else { return }
        let all = buffer.bytes(0..<buffer.count)
        var offset = 0
        while offset < all.count {
            // A whole number of lines, at most PIPE_BUF bytes (a longer line goes alone).
            var end = min(all.count, offset + Int(PIPE_BUF))
            if end < all.count {
                var lastNewline = end
                while lastNewline > offset && all[lastNewline - 1] != UInt8(ascii: "\n") { lastNewline -= 1 }
                if lastNewline > offset {
                    end = lastNewline
                } else {
                    end = all[offset...].firstIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? all.count
                }
            }
            let written = Glibc.write(fd, all.baseAddress! + offset, end - offset)
            if written < 0 && errno == EINTR { continue }
            // A failing log (disk full, closed pipe) must not stop the server: drop the rest.
            if written <= 0 { break }
            offset += written
        }
        buffer.removeAll()
    }

    // MARK: Text atoms

    private mutating func append(_ atom: AccessLogFormat.Atom, _ record: borrowing AccessRecord, peer: ConnectionInfo, status: Int, bytes: Int, nanoseconds: UInt64) {
        switch atom {
        case .remoteAddress: peer.remoteAddress.isEmpty ? buffer.append("-") : appendEscaped(Array(peer.remoteAddress.utf8)[...])
        case .dash: buffer.append("-")
        case .time: buffer.append(cachedTime)
        case .requestLine:
            appendEscaped(record[record.method])
            buffer.append(" ")
            appendEscaped(record[record.target])
            buffer.append(record.isHTTP11 ? " HTTP/1.1" : " HTTP/1.0")
        case .method: appendEscaped(record[record.method])
        case .path: appendEscaped(record[record.path])
        case .query: if let query = record.query { appendEscaped(record[query]) }
        case .httpVersion: buffer.append(record.isHTTP11 ? "HTTP/1.1" : "HTTP/1.0")
        case .status: buffer.appendDecimal(status)
        case .bytes: buffer.appendDecimal(bytes)
        case .bytesOrDash: bytes > 0 ? buffer.appendDecimal(bytes) : buffer.append("-")
        case .seconds: buffer.appendDecimal(Int(nanoseconds / 1_000_000_000))
        case .milliseconds: buffer.appendDecimal(Int(nanoseconds / 1_000_000))
        case .microseconds: buffer.appendDecimal(Int(nanoseconds / 1000))
        case .decimalSeconds:
            buffer.appendDecimal(Int(nanoseconds / 1_000_000_000))
            buffer.append(".")
            let micros = Int(nanoseconds / 1000 % 1_000_000)
            var scale = 100_000
            while scale > 0 {
                buffer.append(UInt8(ascii: "0") + UInt8(micros / scale % 10))
                scale /= 10
            }
        case .pid:
            buffer.append("<")
            buffer.appendDecimal(Int(pid))
            buffer.append(">")
        case .requestHeader(let index):
            if index < record.requestHeaders.count, let range = record.requestHeaders[index] { appendEscaped(record[range]) } else { buffer.append("-") }
        case .responseHeader(let index):
            if index < record.responseHeaders.count, let range = record.responseHeaders[index] { appendEscaped(record[range]) } else { buffer.append("-") }
        }
    }

    /// Client-controlled bytes, so that no request can forge a line or a field: `"`, `\`, control
    /// and non-ASCII bytes as `\xHH` (as nginx writes them).
    private mutating func appendEscaped(_ bytes: ArraySlice<UInt8>) {
        for byte in bytes {
            if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
                buffer.append(byte)
            } else {
                buffer.append("\\x")
                appendHexByte(byte)
            }
        }
    }

    private mutating func appendHexByte(_ byte: UInt8) {
        let digits: StaticString = "0123456789ABCDEF"
        buffer.append(digits.utf8Start[Int(byte >> 4)])
        buffer.append(digits.utf8Start[Int(byte & 0xF)])
    }

    // MARK: JSON

    private mutating func appendJSON(_ record: borrowing AccessRecord, peer: ConnectionInfo, status: Int, bytes: Int, microseconds: UInt64) {
        buffer.append("{\"time\":\"")
        buffer.append(cachedTime)
        buffer.append("\",\"remote_addr\":")
        appendJSONString(Array(peer.remoteAddress.utf8)[...])
        buffer.append(",\"method\":")
        appendJSONString(record[record.method])
        buffer.append(",\"target\":")
        appendJSONString(record[record.target])
        buffer.append(record.isHTTP11 ? ",\"protocol\":\"HTTP/1.1\",\"status\":" : ",\"protocol\":\"HTTP/1.0\",\"status\":")
        buffer.appendDecimal(status)
        buffer.append(",\"bytes\":")
        buffer.appendDecimal(bytes)
        buffer.append(",\"duration_us\":")
        buffer.appendDecimal(Int(microseconds))
        buffer.append(",\"referer\":")
        appendJSONHeader(record, 0)
        buffer.append(",\"user_agent\":")
        appendJSONHeader(record, 1)
        buffer.append("}")
    }

    private mutating func appendJSONHeader(_ record: borrowing AccessRecord, _ index: Int) {
        if index < record.requestHeaders.count, let range = record.requestHeaders[index] { appendJSONString(record[range]) } else { buffer.append("null") }
    }

    /// A JSON string of ISO-8859-1 bytes: every byte is the code point of the same number.
    private mutating func appendJSONString(_ bytes: ArraySlice<UInt8>) {
        buffer.append("\"")
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): buffer.append("\\\"")
            case UInt8(ascii: "\\"): buffer.append("\\\\")
            case 0x20..<0x7F: buffer.append(byte)
            default:
                buffer.append("\\u00")
                appendHexByte(byte)
            }
        }
        buffer.append("\"")
    }

    // MARK: Time

    /// gunicorn's `[%d/%b/%Y:%H:%M:%S %z]` in local time, or ISO 8601 for JSON; once per second.
    private mutating func refreshTime() {
        let now = time(nil)
        guard now != cachedSecond else { return }
        cachedSecond = now
        var seconds = now
        var parts = tm()
        localtime_r(&seconds, &parts)
        var text = [CChar](repeating: 0, count: 64)
        let pattern = log.format.isJSON ? "%Y-%m-%dT%H:%M:%S%z" : "[%d/%b/%Y:%H:%M:%S %z]"
        let count = strftime(&text, text.count, pattern, &parts)
        cachedTime = text.prefix(count).map { UInt8(bitPattern: $0) }
    }
}
