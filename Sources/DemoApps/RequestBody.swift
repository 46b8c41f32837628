import WSGI

/// The request body read as the echo reference reads it: all of `wsgi.input`, to its end when the
/// server marks it terminated (`wsgi.input_terminated`) or the request is chunked, else exactly
/// `CONTENT_LENGTH` bytes (none when that is absent or not a number).
///
/// Only the first ``keptLimit`` bytes are kept: a larger body is not echoed, only counted.
struct RequestBody {
    /// The largest body echo returns in its JSON.
    static let keptLimit = 65536
    private static let blockSize = 65536

    /// Bytes read from `wsgi.input`.
    private(set) var size = 0
    /// The first bytes read, at most ``keptLimit``.
    private(set) var kept: [UInt8] = []

    init(reading environ: Environ) throws {
        let input = environ.input
        if environ.inputTerminated || Self.isChunked(environ["HTTP_TRANSFER_ENCODING", default: ""]) {
            while case let data = try input.read(Self.blockSize), !data.isEmpty { take(data) }
        } else if let length = Self.contentLength(environ["CONTENT_LENGTH", default: ""]) {
            var remaining = length
            while remaining > 0 {
                let data = try input.read(min(Self.blockSize, remaining))
                if data.isEmpty { break }
                take(data)
                remaining -= data.count
            }
        }
    }

    private mutating func take(_ data: Bytes) {
        size += data.count
        if kept.count < Self.keptLimit {
            kept += data.prefix(Self.keptLimit - kept.count)
        }
    }

    /// Python's `"chunked" in value.lower()`.
    private static func isChunked(_ transferEncoding: String) -> Bool {
        transferEncoding.lowercased().contains("chunked")
    }

    /// Python's `value.strip()` then `isdigit()`: ASCII digits inside whitespace. Saturates where
    /// Python's integer would exceed `Int` (the read then stops at the end of the input).
    private static func contentLength(_ value: String) -> Int? {
        let digits = stripped(value.unicodeScalars[...], where: isPythonSpace)
        guard !digits.isEmpty, digits.allSatisfy({ $0.value &- 0x30 < 10 }) else { return nil }
        return Int(String(Substring(digits))) ?? Int.max
    }
}
