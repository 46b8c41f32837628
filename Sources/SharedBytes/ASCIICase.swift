/// ASCII case-insensitive comparison of byte strings, as HTTP compares field names (tokens, so
/// ASCII): the one copy every module that matches names uses (the response rules, the CGI
/// variables, the access log's header fields, the Python environ's key cache). The parser keeps its
/// own word-at-a-time comparison in its hot loop (`HTTP1Parser` depends on nothing).
public enum ASCIICase {
    /// `byte` lowercased when it is an ASCII capital letter; every other byte unchanged (`| 0x20`
    /// alone would turn CR into "-").
    @inlinable @inline(__always)
    public static func lowercased(_ byte: UInt8) -> UInt8 {
        byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
    }

    /// Whether `a` and `b` are equal once ASCII capitals are lowercased.
    @inlinable
    public static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        for index in 0..<a.count where lowercased(a[index]) != lowercased(b[index]) { return false }
        return true
    }

    /// Whether `bytes` equals `lowercase` (a literal in lower case) ignoring ASCII case.
    @inlinable
    public static func equal(_ bytes: UnsafeRawBufferPointer, lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for index in 0..<bytes.count where lowercased(bytes[index]) != expected[index] { return false }
        return true
    }
}
