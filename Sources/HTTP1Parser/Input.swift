/// The bytes of one `parse` call, read without bounds checks.
///
/// Invariant: every read is at an index inside `0..<count` (for `word(at:)`, all 8 bytes are). The
/// callers keep it by scanning only up to a bound they state, and every bound is at most `count`.
/// Debug builds check it on each read.
struct Input {
    let base: UnsafeRawPointer
    let count: Int

    @inline(__always)
    subscript(index: Int) -> UInt8 {
        assert(index >= 0 && index < count, "read outside the input")
        return base.load(fromByteOffset: index, as: UInt8.self)
    }

    /// Eight bytes starting at `index`, the byte at `index` in the low 8 bits whatever the host order.
    @inline(__always)
    func word(at index: Int) -> UInt64 {
        assert(index >= 0 && index + 8 <= count, "read outside the input")
        return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
    }

    /// Index of the first LF in `start..<end`, or nil. `end` must be at most `count`.
    @inline(__always)
    func firstLineFeed(from start: Int, to end: Int) -> Int? {
        var index = start
        // Bounds: a word is read only while index + 8 <= end <= count.
        while index + 8 <= end {
            let matches = Word.zeroBytes(word(at: index) ^ Word.repeating(ASCII.lf))
            if matches != 0 {
                return index + matches.trailingZeroBitCount >> 3
            }
            index += 8
        }
        while index < end {
            if self[index] == ASCII.lf { return index }
            index += 1
        }
        return nil
    }

    /// Index of the first byte in `start..<end` that may not appear in a field value (a control
    /// other than HTAB, or DEL), or `end` when there is none. `end` must be at most `count`.
    @inline(__always)
    func firstNonFieldValueByte(from start: Int, to end: Int) -> Int {
        var index = start
        // Bounds: a word is read only while index + 8 <= end <= count; the lowest flagged byte is
        // inside that word.
        while index + 8 <= end {
            let word = word(at: index)
            let flagged = Word.bytesBelow(ASCII.space, in: word) | Word.zeroBytes(word ^ Word.repeating(ASCII.delete))
            if flagged == 0 {
                index += 8
                continue
            }
            // The lowest flagged byte is a true match; HTAB is the only control a value may hold.
            let first = index + flagged.trailingZeroBitCount >> 3
            if self[first] != ASCII.tab { return first }
            index = first + 1
        }
        while index < end {
            if !ASCII.isFieldValueByte(self[index]) { return index }
            index += 1
        }
        return end
    }

    /// Scans a request-target from `start`: the index of the first byte that is not
    /// `ByteClass.target` (or `count`), and of the first `?` before it (or -1).
    @inline(__always)
    func scanTarget(from start: Int) -> (end: Int, firstQuestionMark: Int) {
        var index = start
        var questionMark = -1
        // Bounds: a word is read only while index + 8 <= count; the lowest flagged byte is inside it.
        // A word is flagged for bytes outside 0x21...0x7E, "#", and (until one is found) "?".
        while index + 8 <= count {
            let word = word(at: index)
            var flagged = Word.bytesBelow(0x21, in: word) | (word & 0x8080_8080_8080_8080)
                | Word.zeroBytes(word ^ Word.repeating(ASCII.delete))
                | Word.zeroBytes(word ^ Word.repeating(ASCII.hash))
            if questionMark < 0 { flagged |= Word.zeroBytes(word ^ Word.repeating(ASCII.questionMark)) }
            if flagged == 0 {
                index += 8
                continue
            }
            let first = index + flagged.trailingZeroBitCount >> 3
            guard self[first] == ASCII.questionMark && questionMark < 0 else { return (first, questionMark) }
            questionMark = first
            index = first + 1
        }
        let classes = CharacterClasses.shared
        while index < count {
            let byte = self[index]
            guard classes[byte].contains(.target) else { break }
            if byte == ASCII.questionMark && questionMark < 0 { questionMark = index }
            index += 1
        }
        return (index, questionMark)
    }

    /// Whether the bytes in `range` equal `lowercaseLiteral` ignoring ASCII case.
    /// `lowercaseLiteral` must be lowercase ASCII.
    @inline(__always)
    func equalsIgnoringCase(_ range: Range<Int>, _ lowercaseLiteral: StaticString) -> Bool {
        guard range.count == lowercaseLiteral.utf8CodeUnitCount else { return false }
        let literal = lowercaseLiteral.utf8Start
        var offset = 0
        // Bounds: offset < range.count, and range lies inside the input.
        while offset < range.count {
            if ASCII.lowercased(self[range.lowerBound + offset]) != literal[offset] { return false }
            offset += 1
        }
        return true
    }

    /// Whether the bytes in `range` equal `literal` exactly (methods are case-sensitive).
    @inline(__always)
    func equals(_ range: Range<Int>, _ literal: StaticString) -> Bool {
        guard range.count == literal.utf8CodeUnitCount else { return false }
        let bytes = literal.utf8Start
        var offset = 0
        while offset < range.count {
            if self[range.lowerBound + offset] != bytes[offset] { return false }
            offset += 1
        }
        return true
    }

    /// The first index in `start..<end` that is not SP or HTAB, or `end`.
    @inline(__always)
    func skipWhitespace(from start: Int, to end: Int) -> Int {
        var index = start
        while index < end && ASCII.isWhitespace(self[index]) { index += 1 }
        return index
    }

    /// `range` without leading and trailing SP/HTAB.
    @inline(__always)
    func trimmingWhitespace(_ range: Range<Int>) -> Range<Int> {
        let start = skipWhitespace(from: range.lowerBound, to: range.upperBound)
        var end = range.upperBound
        while end > start && ASCII.isWhitespace(self[end - 1]) { end -= 1 }
        return start..<end
    }
}

/// SWAR ("SIMD within a register") tests on 8 bytes at once.
///
/// Each returns a mask with bit 7 of a byte set for matching bytes. Borrows can set bits in bytes
/// above the first true match, never below it, so "is the mask non-zero" and "the lowest set byte"
/// are exact; the callers use only those two facts.
enum Word {
    @inline(__always)
    static func repeating(_ byte: UInt8) -> UInt64 {
        0x0101_0101_0101_0101 &* UInt64(byte)
    }

    /// Bytes equal to zero.
    @inline(__always)
    static func zeroBytes(_ word: UInt64) -> UInt64 {
        (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
    }

    /// Bytes below `limit` (which must be at most 0x80).
    @inline(__always)
    static func bytesBelow(_ limit: UInt8, in word: UInt64) -> UInt64 {
        (word &- repeating(limit)) & ~word & 0x8080_8080_8080_8080
    }
}
