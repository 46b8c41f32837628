import Glibc
import HTTP1Parser
import SharedBytes

/// What a connection keeps of its current request for the access log line: the request's bytes go
/// away once its head is handled, so the method, target and the header values the format names
/// are copied when it arrives, into storage reused from request to request. A class, made once per
/// connection when the log is on, so that handing it to the writer copies nothing. Loop thread only.
///
/// Unchecked exclusivity on its properties: the loop thread alone reads and writes them, one
/// call at a time.
final class AccessRecord {
    @exclusivity(unchecked) private(set) var bytes: [UInt8] = []
    @exclusivity(unchecked) private(set) var method = 0..<0
    @exclusivity(unchecked) private(set) var target = 0..<0
    @exclusivity(unchecked) private(set) var path = 0..<0
    @exclusivity(unchecked) private(set) var query: Range<Int>?
    @exclusivity(unchecked) private(set) var version = HTTPVersion.http1_1
    /// Per ``AccessLogFormat/requestHeaders`` / ``AccessLogFormat/responseHeaders``: the value's
    /// range in ``bytes``, nil when absent.
    @exclusivity(unchecked) private(set) var requestHeaders: [Range<Int>?] = []
    @exclusivity(unchecked) private(set) var responseHeaders: [Range<Int>?] = []

    /// Copies the method, target and the request headers `headerNames` (lower case) of the request
    /// whose head is `head` over `headBytes`.
    func begin(head: RequestHead, headBytes: UnsafeRawBufferPointer, headerNames: [[UInt8]]) {
        bytes.removeAll(keepingCapacity: true)
        method = copy(UnsafeRawBufferPointer(rebasing: headBytes[head.method]))
        target = copy(UnsafeRawBufferPointer(rebasing: headBytes[head.target]))
        path = target.lowerBound + (head.path.lowerBound - head.target.lowerBound)..<target.lowerBound + (head.path.upperBound - head.target.lowerBound)
        query = head.query.map { target.lowerBound + ($0.lowerBound - head.target.lowerBound)..<target.lowerBound + ($0.upperBound - head.target.lowerBound) }
        version = head.version
        requestHeaders.removeAll(keepingCapacity: true)
        responseHeaders.removeAll(keepingCapacity: true)
        for name in headerNames {
            let field = head.fields.first { Self.sameName(UnsafeRawBufferPointer(rebasing: headBytes[$0.name]), name) }
            requestHeaders.append(field.map { copy(UnsafeRawBufferPointer(rebasing: headBytes[$0.value])) })
        }
    }

    /// Copies the response headers `headerNames` (lower case) from `lines` (the head's status and
    /// header lines, CRLF-terminated).
    func captureResponse(lines: UnsafeRawBufferPointer, headerNames: [[UInt8]]) {
        responseHeaders = Array(repeating: nil, count: headerNames.count)
        var lineStart = 0
        var first = true
        while lineStart < lines.count {
            var end = lineStart
            while end < lines.count && lines[end] != UInt8(ascii: "\r") { end += 1 }
            defer { lineStart = end + 2 }
            if first {  // the status line
                first = false
                continue
            }
            let line = UnsafeRawBufferPointer(rebasing: lines[lineStart..<end])
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let name = UnsafeRawBufferPointer(rebasing: line[..<colon])
            for (index, wanted) in headerNames.enumerated() where responseHeaders[index] == nil && Self.sameName(name, wanted) {
                var valueStart = colon + 1
                while valueStart < line.count && (line[valueStart] == 0x20 || line[valueStart] == 0x09) { valueStart += 1 }
                responseHeaders[index] = copy(UnsafeRawBufferPointer(rebasing: line[valueStart...]))
            }
        }
    }

    /// The record's values in place, valid during `body` (read without counting references).
    func withBytes<Result>(_ body: (View) -> Result) -> Result {
        bytes.withUnsafeBytes { bytes in
            requestHeaders.withUnsafeBufferPointer { requestHeaders in
                responseHeaders.withUnsafeBufferPointer { responseHeaders in
                    body(View(
                        bytes: bytes, method: method, target: target, path: path, query: query, version: version,
                        requestHeaders: requestHeaders, responseHeaders: responseHeaders
                    ))
                }
            }
        }
    }

    /// A record read over its bytes: each value a view of them, valid during ``withBytes(_:)``.
    struct View {
        let bytes: UnsafeRawBufferPointer
        let method, target, path: Range<Int>
        let query: Range<Int>?
        let version: HTTPVersion

        /// The version as gunicorn's access log prints it (`%(H)s`): HTTP/2 as `HTTP/2.0`.
        var protocolName: StaticString {
            switch version {
            case .http1_0: "HTTP/1.0"
            case .http1_1: "HTTP/1.1"
            case .http2: "HTTP/2.0"
            }
        }
        let requestHeaders, responseHeaders: UnsafeBufferPointer<Range<Int>?>

        func requestHeader(_ index: Int) -> UnsafeRawBufferPointer? {
            guard index < requestHeaders.count, let range = requestHeaders[index] else { return nil }
            return self[range]
        }

        func responseHeader(_ index: Int) -> UnsafeRawBufferPointer? {
            guard index < responseHeaders.count, let range = responseHeaders[index] else { return nil }
            return self[range]
        }

        subscript(range: Range<Int>) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[range]) }
    }

    private func copy(_ source: UnsafeRawBufferPointer) -> Range<Int> {
        let start = bytes.count
        bytes.append(contentsOf: source)
        return start..<bytes.count
    }

    private static func sameName(_ name: UnsafeRawBufferPointer, _ lowercase: [UInt8]) -> Bool {
        lowercase.withUnsafeBytes { ASCIICase.equal(name, $0) }
    }
}
