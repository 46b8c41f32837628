#if DEBUG
import HTTP1Parser

/// The layout of a whole-connection fuzz input:
/// - byte 0, flags: bit 0 defers output to the loop's flush point; bit 1 makes the socket take at
///   most 7 bytes per write (every response leaves through the asynchronous path); bit 2 sends FIN
///   after the stream; bit 3 means 3 bytes of limits follow byte 1;
/// - byte 1, splits: how the stream is cut for the second run (as in the parser fuzzer: 0 is one
///   byte at a time, else pieces of 1...(byte & 0x1F + 1) bytes, 16 times that with bit 5);
/// - with flag bit 3: the request-line limit (x 4), the head limit (x 8) and the body limit;
/// - the rest: what the client sends.
struct ConnectionFuzzInput {
    var defersOutput = false
    var slowSocket = false
    var sendsFIN = false
    var limits = ParserLimits()
    var splitByte: UInt8 = 0
    var stream: [UInt8] = []

    init?(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count >= 2 else { return nil }
        let flags = bytes[0]
        defersOutput = flags & 1 != 0
        slowSocket = flags & 2 != 0
        sendsFIN = flags & 4 != 0
        splitByte = bytes[1]
        var start = 2
        if flags & 8 != 0 {
            guard bytes.count >= 5 else { return nil }
            limits.maxRequestLineLength = Int(bytes[2]) * 4
            limits.maxHeadLength = Int(bytes[3]) * 8
            limits.maxBodyLength = Int(bytes[4])
            start = 5
        }
        stream = Array(bytes[start...])
    }

    /// The sizes of the pieces the stream is cut into for the second run.
    func pieces() -> [Int] {
        if splitByte == 0 { return Array(repeating: 1, count: stream.count) }
        var longest = Int(splitByte & 0x1F) + 1
        if splitByte & 0x20 != 0 { longest *= 16 }
        // A small xorshift generator: the cut depends on the input only.
        var state = UInt64(splitByte) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(stream.count) | 1
        var sizes: [Int] = []
        var left = stream.count
        while left > 0 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            let size = min(left, Int(state % UInt64(longest)) + 1)
            sizes.append(size)
            left -= size
        }
        return sizes
    }
}
#endif
