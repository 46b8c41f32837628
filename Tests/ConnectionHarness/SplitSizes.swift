/// How a fuzzer cuts a stream of `count` bytes, from one input byte (`splitByte`): 0 is one byte at
/// a time; otherwise pieces of 1...(splitByte & 0x1F + 1) bytes, 16 times that with bit 5, drawn
/// from a generator seeded by the byte and the count, so the cut depends on the input only.
/// Shared by every fuzz target (the parser fuzzer compiles this file into its own build).
func splitSizes(splitByte: UInt8, count: Int) -> [Int] {
    if splitByte == 0 { return Array(repeating: 1, count: count) }
    var longest = Int(splitByte & 0x1F) + 1
    if splitByte & 0x20 != 0 { longest *= 16 }
    // xorshift64: a non-zero state from the seed.
    var state = UInt64(splitByte) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(count) | 1
    var sizes: [Int] = []
    var left = count
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
