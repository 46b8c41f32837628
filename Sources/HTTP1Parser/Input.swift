/// The bytes of one `parse` call, read without bounds checks.
///
/// Invariant: every read is at an index inside `0..<count` (for `word(at:)`, `quad(at:)` and
/// `halfword(at:)`, every byte read is). The callers keep it by scanning only up to a bound they
/// state, and every bound is at most `count`. Debug builds check it on each read.
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

    /// Four bytes starting at `index`, the byte at `index` in the low 8 bits whatever the host order.
    @inline(__always)
    func quad(at index: Int) -> UInt32 {
        assert(index >= 0 && index + 4 <= count, "read outside the input")
        return UInt32(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt32.self))
    }

    /// Two bytes starting at `index`, the byte at `index` in the low 8 bits whatever the host order.
    @inline(__always)
    func halfword(at index: Int) -> UInt16 {
        assert(index >= 0 && index + 2 <= count, "read outside the input")
        return UInt16(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt16.self))
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
            let flagged = Word.controlOrHighControl(word(at: index))
            if flagged == 0 {
                index += 8
                continue
            }
            // A flagged byte may still be valid: HTAB, or obs-text.
            let first = index + flagged.trailingZeroBitCount >> 3
            if !ASCII.isFieldValueByte(self[first]) { return first }
            index = first + 1
        }
        while index < end {
            if !ASCII.isFieldValueByte(self[index]) { return index }
            index += 1
        }
        return end
    }

    /// The first index from `start` whose byte is not a token character (`ByteClass.token`), or
    /// `count`. Field names are mostly letters and "-", which are tested word by word; any other
    /// byte is looked up in the class table.
    @inline(__always)
    func firstNonTokenByte(from start: Int) -> Int {
        var index = start
        // Bounds: a word is read only while index + 8 <= count; the lowest flagged byte is inside it.
        while index + 8 <= count {
            let flagged = Word.notLetterOrDash(word(at: index))
            if flagged == 0 {
                index += 8
                continue
            }
            index += flagged.trailingZeroBitCount >> 3
            guard ByteClass.of(self[index]).contains(.token) else { return index }
            index += 1
        }
        while index < count && ByteClass.of(self[index]).contains(.token) { index += 1 }
        return index
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
        while index < count {
            let byte = self[index]
            guard ByteClass.of(byte).contains(.target) else { break }
            if byte == ASCII.questionMark && questionMark < 0 { questionMark = index }
            index += 1
        }
        return (index, questionMark)
    }

    /// Whether the bytes in `range` equal `lowercaseLiteral` ignoring ASCII case.
    ///
    /// `lowercaseLiteral` holds only lowercase letters, digits and "-"; the bytes in `range` are
    /// validated field-name or field-value bytes, so none is a control other than HTAB. Setting bit
    /// 5 (0x20) of every byte then lowercases letters and turns no other byte into a letter, digit or
    /// "-" (only CR and 0x10...0x19 would, and they cannot occur), which lets the comparison run on 8
    /// or 4 bytes at a time.
    @inline(__always)
    func equalsIgnoringCase(_ range: Range<Int>, _ lowercaseLiteral: StaticString) -> Bool {
        let length = lowercaseLiteral.utf8CodeUnitCount
        guard range.count == length else { return false }
        let literal = UnsafeRawPointer(lowercaseLiteral.utf8Start)
        let start = range.lowerBound
        var equal = true
        // Bounds: every load lies inside `range` and inside the literal, both `length` bytes long:
        // the last load of each size ends at `length`, overlapping the one before it.
        if length >= 8 {
            var offset = 0
            while equal && offset < length {
                let at = min(offset, length - 8)
                equal = word(at: start + at) | Word.repeating(0x20)
                    == UInt64(littleEndian: literal.loadUnaligned(fromByteOffset: at, as: UInt64.self))
                offset += 8
            }
        } else if length >= 4 {
            let last = length - 4
            equal = quad(at: start) | 0x2020_2020 == UInt32(littleEndian: literal.loadUnaligned(as: UInt32.self))
                && quad(at: start + last) | 0x2020_2020
                    == UInt32(littleEndian: literal.loadUnaligned(fromByteOffset: last, as: UInt32.self))
        } else {
            for at in 0..<length where equal {
                equal = self[start + at] | 0x20 == literal.load(fromByteOffset: at, as: UInt8.self)
            }
        }
        assert(equal == (0..<length).allSatisfy { ASCII.lowercased(self[start + $0]) == lowercaseLiteral.utf8Start[$0] })
        return equal
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
/// Each returns a mask with bit 7 of a byte set for matching bytes. In `zeroBytes` and
/// `bytesBelow`, borrows can set bits in bytes above the first true match, never below it, so "is
/// the mask non-zero" and "the lowest set byte" are exact; the callers use only those two facts.
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

    /// Bytes whose low 7 bits are a control or DEL: every byte a field value may not hold, and
    /// also HTAB, 0x80...0x9F and 0xFF, which it may. Exact for every byte: on the low 7 bits,
    /// `(byte + 1) mod 0x80` is below 0x21 exactly for 0x00...0x1F and 0x7F, and neither sum passes
    /// 0xFF, so no carry crosses bytes.
    @inline(__always)
    static func controlOrHighControl(_ word: UInt64) -> UInt64 {
        let next = ((word & 0x7F7F_7F7F_7F7F_7F7F) &+ repeating(0x01)) & 0x7F7F_7F7F_7F7F_7F7F
        return ~(next &+ repeating(0x80 - 0x21)) & 0x8080_8080_8080_8080
    }

    /// Bytes that are not an ASCII letter or "-".
    @inline(__always)
    static func notLetterOrDash(_ word: UInt64) -> UInt64 {
        let ascii = word & 0x7F7F_7F7F_7F7F_7F7F
        let letter = inRange(ascii | repeating(0x20), 0x61, 0x7A)
        // Bit 7 set for bytes other than "-" (an equality test needs one sum, not two).
        let notDash = (ascii ^ repeating(ASCII.dash)) &+ repeating(0x7F)
        return ((~letter & notDash) | word) & 0x8080_8080_8080_8080
    }

    /// Bytes in `low...high`, for a word of bytes below 0x80 (callers mask bit 7 off first and flag
    /// the bytes that had it on their own). Exact for every byte: `byte + 0x80 - low` and
    /// `byte + 0x7F - high` stay below 0x100, so no carry crosses bytes.
    @inline(__always)
    static func inRange(_ ascii: UInt64, _ low: UInt8, _ high: UInt8) -> UInt64 {
        (ascii &+ repeating(0x80 - low)) & ~(ascii &+ repeating(0x7F - high)) & 0x8080_8080_8080_8080
    }

    /// Bytes below `limit` (which must be at most 0x80).
    @inline(__always)
    static func bytesBelow(_ limit: UInt8, in word: UInt64) -> UInt64 {
        (word &- repeating(limit)) & ~word & 0x8080_8080_8080_8080
    }
}
