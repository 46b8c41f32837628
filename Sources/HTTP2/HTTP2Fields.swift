import CNGHTTP2

/// The fields of a response head, gathered into one buffer for nghttp2 (which copies them when
/// the head is submitted). Names must be lower-case.
public struct HTTP2Fields {
    private var bytes: [UInt8] = []
    private var spans: [(name: Range<Int>, value: Range<Int>)] = []

    public init(status: Int) {
        append(name: ":status", value: String(status))
    }

    public mutating func append(name: some Collection<UInt8>, value: some Collection<UInt8>) {
        let nameStart = bytes.count
        bytes.append(contentsOf: name)
        let valueStart = bytes.count
        bytes.append(contentsOf: value)
        spans.append((nameStart..<valueStart, valueStart..<bytes.count))
    }

    public mutating func append(name: String, value: String) {
        append(name: Array(name.utf8), value: Array(value.utf8))
    }

    public var count: Int { spans.count }

    /// Calls `body` with nghttp2's name-value pairs pointing into this buffer (valid during the
    /// call only). nghttp2's pairs hold mutable pointers, but submitting a head only copies them.
    func withNameValuePairs<Result>(_ body: (UnsafePointer<nghttp2_nv>, Int) -> Result) -> Result {
        bytes.withUnsafeBufferPointer { storage in
            let base = UnsafeMutablePointer(mutating: storage.baseAddress ?? UnsafePointer<UInt8>(bitPattern: 1)!)
            let pairs = spans.map { span in
                nghttp2_nv(
                    name: base + span.name.lowerBound, value: base + span.value.lowerBound,
                    namelen: span.name.count, valuelen: span.value.count, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
            }
            return pairs.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
        }
    }
}
