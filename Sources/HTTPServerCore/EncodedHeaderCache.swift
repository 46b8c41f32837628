/// The wire bytes of a header list that keeps coming back, per loop.
///
/// Encoding headers is a loop over every string of every response. When a response's header list
/// is the same list object as the previous response's (a constant response, shared defaults), its
/// bytes are the same too: the second time it is seen, its encoding is kept and copied from then
/// on. The list itself is kept, so the application cannot change it in place (its next mutation
/// copies it, giving it another identity). A list seen once is never copied: applications that
/// build fresh lists pay one identity comparison. Loop thread only.
struct EncodedHeaderCache {
    private var lastSeen: [(String, String)] = []
    private var lastIdentity: UInt = 0
    private var encoded: [UInt8] = []
    private var encodedIdentity: UInt = 0

    /// Appends the encoding of `headers` (`Name: value\r\n` each) to `buffer`.
    mutating func append(_ headers: [(String, String)], to buffer: inout OutputBuffer) {
        let identity = headers.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        if identity == encodedIdentity {
            buffer.append(encoded)
            return
        }
        let start = buffer.count
        for (name, value) in headers {
            Latin1.encode(name, into: &buffer)
            buffer.append(": ")
            Latin1.encode(value, into: &buffer)
            buffer.append("\r\n")
        }
        if identity == lastIdentity {
            encoded = Array(buffer.bytes(start..<buffer.count))
            encodedIdentity = identity
        }
        lastSeen = headers
        lastIdentity = identity
    }
}
