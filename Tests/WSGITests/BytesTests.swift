import Testing
import WSGI

@Suite struct BytesTests {
    @Test func literalAndArrayStorageHoldTheSameBytes() {
        let literal: Bytes = "Index"
        let array = Bytes(Array("Index".utf8))
        #expect(literal == array)
        #expect(literal.hashValue == array.hashValue)
        #expect(literal.count == 5)
        #expect(literal[0] == UInt8(ascii: "I") && literal[4] == UInt8(ascii: "x"))
        #expect(literal.array == Array("Index".utf8))
    }

    @Test func aLiteralIsServedFromConstantDataWithoutCopying() {
        let literal: Bytes = "Hello"
        let first = literal.withUnsafeBytes { $0.baseAddress }
        let second = literal.withUnsafeBytes { $0.baseAddress }
        #expect(first != nil && first == second)
        // Storage that is an array is borrowed in place as well.
        let array = Bytes([1, 2, 3] as [UInt8])
        #expect(array.withUnsafeBytes { Array($0) } == [1, 2, 3])
    }

    @Test func emptyBytes() {
        #expect(Bytes().isEmpty)
        #expect(Bytes() == "")
        #expect(Bytes().withUnsafeBytes { $0.count } == 0)
    }

    @Test func latin1EncodingRefusesScalarsAboveFF() {
        #expect(Bytes(latin1: "caf\u{E9}")?.array == [0x63, 0x61, 0x66, 0xE9])
        #expect(Bytes(latin1: "\u{FF}")?.array == [0xFF])
        #expect(Bytes(latin1: "\u{100}") == nil)
        #expect(Bytes(latin1: "price: \u{20AC}") == nil)
    }

    @Test func latin1DecodingRoundTripsEveryByte() {
        let all = Bytes((0...255).map { UInt8($0) })
        let text = all.latin1String
        #expect(text.unicodeScalars.count == 256)
        #expect(text.unicodeScalars.map(\.value) == Array(0...255))
        #expect(Bytes(latin1: text) == all)
    }

    @Test func utf8DecodingReplacesInvalidSequences() {
        #expect(Bytes([0x61, 0xFF, 0x62] as [UInt8]).utf8String == "a\u{FFFD}b")
        #expect(Bytes(utf8: "h\u{E9}").array == [0x68, 0xC3, 0xA9])
    }

    @Test func concatenation() {
        let joined: Bytes = "ab" + Bytes([0x63] as [UInt8])
        #expect(joined == "abc")
    }

    @Test func descriptions() {
        let bytes: Bytes = "a\"b\n"
        #expect(bytes.description == "a\"b\n")
        #expect(bytes.debugDescription == #"b"a\"b\n""#)
    }

    @Test func foreignBytesKeepTheirOwnerUntilTheLastCopyGoes() {
        let released = ReleaseCount()
        let memory = UnsafeMutableRawPointer.allocate(byteCount: 6, alignment: 1)
        memory.copyMemory(from: Array("foreign".utf8), byteCount: 6)
        var bytes: Bytes? = Bytes(borrowing: memory, count: 6, owner: FreeingOwner(memory, released))
        #expect(bytes?.withUnsafeBytes { $0.baseAddress } == UnsafeRawPointer(memory), "viewed where it lies")
        var slice: Bytes? = bytes?.slice(1..<4)
        #expect(slice?.utf8String == "ore")
        #expect(slice?.withUnsafeBytes { $0.baseAddress } == UnsafeRawPointer(memory + 1))
        bytes = nil
        #expect(released.value == 0, "the slice still holds the owner")
        slice = nil
        #expect(released.value == 1)
        _ = slice
    }
}

private final class ReleaseCount: @unchecked Sendable {
    // @unchecked: used by one test on one thread.
    var value = 0
}

/// Stands for foreign memory: frees it and counts when released.
private final class FreeingOwner: ByteOwner, @unchecked Sendable {
    // @unchecked: the memory is not written after the owner is made; freed only in deinit.
    let memory: UnsafeMutableRawPointer
    let released: ReleaseCount

    init(_ memory: UnsafeMutableRawPointer, _ released: ReleaseCount) {
        self.memory = memory
        self.released = released
    }

    deinit {
        released.value += 1
        memory.deallocate()
    }
}
