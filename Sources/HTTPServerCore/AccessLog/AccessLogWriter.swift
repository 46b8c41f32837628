import Glibc
import HTTP1Parser

/// One loop's access log: formats each response's line (``AccessLog``) into a buffer, and writes
/// the buffer when it fills, when its first line has waited ``flushDelay`` milliseconds (the loop's
/// timer, armed when ``append(_:peer:status:bytes:elapsed:)`` says a line found the buffer empty),
/// and when the loop stops: a `write(2)` per request would cost more than serving a small response
/// (nginx's buffered `access_log` flushes likewise, every `flush=` period). So a line reaches the
/// file within ``flushDelay`` of its response, under load and when idle alike, and lines of one
/// worker interleave with another's in time order to within that.
/// Loop thread only.
struct AccessLogWriter: ~Copyable {
    private let log: AccessLog
    /// The format's pieces, kept apart so that formatting a line reads them in place.
    private let segments: [AccessLogFormat.Segment]
    /// The format's text, in memory of its own (freed in `deinit`): read in place for every line.
    private let literals: UnsafeMutableRawBufferPointer
    private let isJSON: Bool
    /// Whether lines show how long requests took (then the connection times them).
    let needsDuration: Bool
    /// Lower-case names of the headers the format needs.
    private let requestHeaderNames: [[UInt8]]
    private let responseHeaderNames: [[UInt8]]
    /// The destination is a `Logger` (a record per line), not a descriptor.
    private let toLogger: Bool
    private var buffer = OutputBuffer(capacity: AccessLogWriter.capacity)
    /// Whether the destination is a pipe or socket, where only writes of at most `PIPE_BUF` bytes
    /// are atomic: then writes carry whole lines up to that size. (A regular file opened
    /// `O_APPEND` takes each write whole, so lines never interleave there.)
    private let writesWholeLinesOnly: Bool
    private static let capacity = 32 * 1024
    /// `[06/Dec/2026:17:20:00 +0000]`, or the JSON form, for ``cachedSecond``.
    private var cachedTime: [UInt8] = []
    private var cachedSecond: time_t = -1
    private let pid = getpid()

    init(_ log: AccessLog) {
        self.log = log
        segments = log.format.segments
        let literals = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, log.format.literals.count), alignment: 1)
        log.format.literals.withUnsafeBytes { literals.copyMemory(from: $0) }
        self.literals = literals
        isJSON = log.format.isJSON
        needsDuration = log.format.needsDuration
        requestHeaderNames = log.format.requestHeaders
        responseHeaderNames = log.format.responseHeaders
        var status = stat()
        switch log.destination {
        case .descriptor(let fd):
            toLogger = false
            writesWholeLinesOnly = fstat(fd, &status) == 0 && status.st_mode & S_IFMT != S_IFREG
        case .logger:
            toLogger = true
            writesWholeLinesOnly = false
        }
    }

    deinit { literals.deallocate() }

    /// Keeps what the line of the request with `head` (over `headBytes`) will need, in `record`.
    func begin(_ record: AccessRecord, head: RequestHead, headBytes: UnsafeRawBufferPointer) {
        record.begin(head: head, headBytes: headBytes, headerNames: requestHeaderNames)
    }

    /// Keeps the response headers the line will need (from the head's `lines`), if any.
    func captureResponse(_ record: AccessRecord, lines: UnsafeRawBufferPointer) {
        if !responseHeaderNames.isEmpty { record.captureResponse(lines: lines, headerNames: responseHeaderNames) }
    }

    /// How long the first buffered line may wait for its write, in milliseconds.
    static let flushDelay: UInt64 = 50

    /// Adds the line of a response to `record`'s request, which took `elapsed` nanoseconds (0
    /// unless ``needsDuration``).
    /// - Returns: whether the line is the first one waiting for a flush (the caller arranges one
    ///   within ``flushDelay``).
    mutating func append(_ record: AccessRecord, peer: ConnectionInfo, status: Int, bytes: Int, elapsed: UInt64) -> Bool {
        let lineStart = buffer.count
        if cachedSecond < 0 { refreshTime() }
        record.withBytes { view in
            if isJSON {
                appendJSON(view, peer: peer, status: status, bytes: bytes, microseconds: elapsed / 1000)
            } else {
                segments.withUnsafeBufferPointer { segments in
                    for segment in segments {
                        switch segment {
                        case .literal(let range): buffer.append(UnsafeRawBufferPointer(rebasing: literals[range]))
                        case .atom(let atom): append(atom, view, peer: peer, status: status, bytes: bytes, nanoseconds: elapsed)
                        }
                    }
                }
            }
        }
        buffer.append(UInt8(ascii: "\n"))
        if toLogger {
            if case .logger(let logger) = log.destination {
                logger.info("\(String(decoding: buffer.bytes(lineStart..<buffer.count - 1), as: UTF8.self))")
            }
            buffer.removeAll()
            return false
        } else if buffer.count >= Self.capacity - 1024 {
            flush()
            return false
        }
        return lineStart == 0
    }

    /// Takes the time lines show from the clock again. (The loop calls it on its sweep: lines show
    /// the time to within the sweep's period, as the Date header does, rather than reading the
    /// clock for every line.)
    mutating func tick() {
        refreshTime()
    }

    /// Writes the buffered lines.
    mutating func flush() {
        guard buffer.count > 0, case .descriptor(let fd) = log.destination else { return }
        let all = buffer.bytes(0..<buffer.count)
        var offset = 0
        while offset < all.count {
            // To a pipe: a whole number of lines, at most PIPE_BUF bytes (a longer line goes alone).
            var end = writesWholeLinesOnly ? min(all.count, offset + Int(PIPE_BUF)) : all.count
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

    private mutating func append(
        _ atom: AccessLogFormat.Atom, _ record: AccessRecord.View, peer: ConnectionInfo, status: Int, bytes: Int, nanoseconds: UInt64
    ) {
        switch atom {
        case .remoteAddress: appendAddress(peer)
        case .dash: buffer.append("-")
        case .time: buffer.append(cachedTime)
        case .requestLine:
            appendEscaped(record[record.method])
            buffer.append(" ")
            appendEscaped(record[record.target])
            buffer.append(" ")
            buffer.append(record.protocolName)
        case .method: appendEscaped(record[record.method])
        case .path: appendEscaped(record[record.path])
        case .query: if let query = record.query { appendEscaped(record[query]) }
        case .httpVersion: buffer.append(record.protocolName)
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
            if let value = record.requestHeader(index) { appendEscaped(value) } else { buffer.append("-") }
        case .user(let index):
            if let value = record.requestHeader(index), let user = BasicAuthorization.user(value) {
                user.withUnsafeBytes { appendEscaped($0) }
            } else { buffer.append("-") }
        case .responseHeader(let index):
            if let value = record.responseHeader(index) { appendEscaped(value) } else { buffer.append("-") }
        }
    }

    /// The peer's address (an IP literal: nothing to escape), `-` on a unix socket.
    private mutating func appendAddress(_ peer: ConnectionInfo) {
        var address = peer.remoteAddress
        if address.isEmpty { return buffer.append("-") }
        address.withUTF8 { buffer.append(UnsafeRawBufferPointer($0)) }
    }

    /// Client-controlled bytes, so that no request can forge a line or a field: `"`, `\`, control
    /// and non-ASCII bytes as `\xHH` (as nginx writes them).
    private mutating func appendEscaped(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.contains(where: Self.needsEscape) else { return buffer.append(bytes) }
        for byte in bytes {
            if Self.needsEscape(byte) {
                buffer.append("\\x")
                appendHexByte(byte)
            } else {
                buffer.append(byte)
            }
        }
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte >= 0x7F || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    private mutating func appendHexByte(_ byte: UInt8) {
        let digits: StaticString = "0123456789ABCDEF"
        buffer.append(digits.utf8Start[Int(byte >> 4)])
        buffer.append(digits.utf8Start[Int(byte & 0xF)])
    }

    // MARK: JSON

    private mutating func appendJSON(_ record: AccessRecord.View, peer: ConnectionInfo, status: Int, bytes: Int, microseconds: UInt64) {
        buffer.append("{\"time\":\"")
        buffer.append(cachedTime)
        buffer.append("\",\"remote_addr\":\"")
        appendAddress(peer)
        buffer.append("\",\"method\":")
        appendJSONString(record[record.method])
        buffer.append(",\"target\":")
        appendJSONString(record[record.target])
        buffer.append(",\"protocol\":\"")
        buffer.append(record.protocolName)
        buffer.append("\",\"status\":")
        buffer.appendDecimal(status)
        buffer.append(",\"bytes\":")
        buffer.appendDecimal(bytes)
        buffer.append(",\"duration_us\":")
        buffer.appendDecimal(Int(microseconds))
        buffer.append(",\"referer\":")
        appendJSONHeader(record.requestHeader(0))
        buffer.append(",\"user_agent\":")
        appendJSONHeader(record.requestHeader(1))
        buffer.append("}")
    }

    private mutating func appendJSONHeader(_ value: UnsafeRawBufferPointer?) {
        if let value { appendJSONString(value) } else { buffer.append("null") }
    }

    /// A JSON string of ISO-8859-1 bytes: every byte is the code point of the same number.
    private mutating func appendJSONString(_ bytes: UnsafeRawBufferPointer) {
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
        let pattern = isJSON ? "%Y-%m-%dT%H:%M:%S%z" : "[%d/%b/%Y:%H:%M:%S %z]"
        let count = strftime(&text, text.count, pattern, &parts)
        cachedTime = text.prefix(count).map { UInt8(bitPattern: $0) }
    }
}
