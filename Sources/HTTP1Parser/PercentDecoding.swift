/// `%XX` decoding of a request path to bytes (PEP 3333: PATH_INFO is the decoded path's bytes as a
/// native string, as wsgiref's `unquote_to_bytes(path).decode('iso-8859-1')`; never UTF-8-decoded,
/// which would break non-ASCII paths for frameworks that re-encode PATH_INFO as latin-1). Inlinable:
/// the gateways decode every request's path with it, from another module.
public enum PercentDecoding {
    /// Calls `body` with `bytes` with every `%XX` escape decoded (a `%` not followed by two hex
    /// digits stays as it is). Without any `%` the bytes are passed as they are; otherwise the
    /// decoded copy lives in temporary memory, valid during the call.
    @inlinable
    public static func withDecoded(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        guard bytes.contains(UInt8(ascii: "%")) else { return body(bytes) }
        withUnsafeTemporaryAllocation(byteCount: bytes.count, alignment: 1) { decoded in
            var count = 0
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "%"), index + 2 < bytes.count,
                   let high = ASCII.hexValue(bytes[index + 1]), let low = ASCII.hexValue(bytes[index + 2]) {
                    decoded[count] = UInt8(high << 4 | low)
                    index += 3
                } else {
                    decoded[count] = byte
                    index += 1
                }
                count += 1
            }
            body(UnsafeRawBufferPointer(rebasing: decoded[0..<count]))
        }
    }
}
