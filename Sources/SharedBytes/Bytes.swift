/// An immutable bytestring: the type of every response body chunk and of everything read from a
/// request body. PEP 3333 keeps bodies as bytes, never as text; this is Swift's spelling of Python's
/// `bytes`, shared by the application interface, the server core and the application runtimes.
///
/// A value is a view (address and count) of memory it never copies, plus whatever keeps that memory
/// alive:
/// - a string literal (`"Index"`, like Python's `b"Index"`) points into the binary's constant data:
///   no allocation, nothing to keep alive;
/// - Swift-owned bytes live in a ``ByteStorage`` block;
/// - foreign bytes (a Python `bytes` object, a mapped file) are kept alive by a ``ByteOwner``.
///
/// The address is stable for as long as any copy of the value exists, so a server hands a chunk to an
/// asynchronous socket write without copying it: it keeps the value until the write completed (see
/// ``stableBytes``), and the owner is released after that.
///
/// `@unchecked Sendable` is sound: the three stored properties are `let`; the memory they describe is
/// immutable while the value exists (constant data, a ``ByteStorage`` written only before it was
/// shared, or foreign memory its ``ByteOwner`` keeps valid and unchanged); and the owner is itself
/// `Sendable`. Any thread may read a `Bytes` value.
public struct Bytes: @unchecked Sendable {
    /// Start of the bytes; nil only when `count` is 0.
    @usableFromInline let base: UnsafeRawPointer?
    @usableFromInline let length: Int
    /// Keeps `base` valid: a ``ByteStorage`` or another ``ByteOwner``; nil for constant data.
    @usableFromInline let owner: AnyObject?

    @inlinable
    init(base: UnsafeRawPointer?, count: Int, owner: AnyObject?) {
        self.base = base
        self.length = count
        self.owner = owner
    }

    /// The empty bytestring.
    @inlinable
    public init() { self.init(base: nil, count: 0, owner: nil) }

    /// Bytes copied from any sequence of octets.
    @inlinable
    public init<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        let copied = bytes.withContiguousStorageIfAvailable { ByteStorage(copying: UnsafeRawBufferPointer($0)) }
            ?? Array(bytes).withUnsafeBytes { ByteStorage(copying: $0) }
        self.init(copied)
    }

    /// A view of `count` bytes of `storage` from `offset`, without copying.
    public init(_ storage: ByteStorage, offset: Int = 0, count: Int? = nil) {
        let count = count ?? storage.count - offset
        precondition(offset >= 0 && count >= 0 && offset + count <= storage.count, "Bytes slice out of range")
        self.init(base: storage.base + offset, count: count, owner: storage)
    }

    /// A view of foreign memory, without copying: `count` bytes at `base`, which must stay valid and
    /// unchanged for as long as `owner` lives. Every copy and slice of the value holds `owner`, so the
    /// owner is released (and may free the memory) only when the last of them is gone.
    public init(borrowing base: UnsafeRawPointer, count: Int, owner: some ByteOwner) {
        precondition(count >= 0, "negative byte count")
        self.init(base: base, count: count, owner: owner)
    }

    /// The UTF-8 encoding of `string`.
    ///
    /// A convenience for bodies; status and header strings follow the ISO-8859-1 rule instead
    /// (see ``init(latin1:)``).
    public init(utf8 string: String) {
        var string = string
        self.init(string.withUTF8 { ByteStorage(copying: UnsafeRawBufferPointer($0)) })
    }

    /// The ISO-8859-1 encoding of `string` (each scalar becomes one byte), or `nil` when the
    /// string holds a scalar above U+00FF, which PEP 3333 calls a fatal error for native strings.
    public init?(latin1 string: String) {
        var out = [UInt8]()
        out.reserveCapacity(string.utf8.count)
        for scalar in string.unicodeScalars {
            guard scalar.value <= 0xFF else { return nil }
            out.append(UInt8(truncatingIfNeeded: scalar.value))
        }
        self.init(out)
    }

    /// Calls `body` with the bytes; the pointer is valid only during the call.
    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(owner) { try body(stableBytes) }
    }

    /// The bytes' address, valid for as long as `self` (or a copy) is kept alive.
    ///
    /// For servers that queue a chunk for an asynchronous write: keep the `Bytes` value in the write
    /// request until its completion, and the pointer stays valid and unchanged.
    @inlinable
    public var stableBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: length) }

    /// The bytes as an array (a copy).
    public var array: [UInt8] { withUnsafeBytes { Array($0) } }

    /// The bytes decoded 1:1 as ISO-8859-1: the "bytes as native string" rule of PEP 3333.
    public var latin1String: String {
        withUnsafeBytes { raw in
            // ASCII is valid UTF-8 as is; only bytes >= 0x80 need re-encoding as two-byte scalars.
            if !raw.contains(where: { $0 >= 0x80 }) { return String(decoding: raw, as: UTF8.self) }
            var scalars = String.UnicodeScalarView()
            for byte in raw { scalars.append(Unicode.Scalar(byte)) }
            return String(scalars)
        }
    }

    /// The bytes decoded as UTF-8, invalid sequences replaced by U+FFFD.
    public var utf8String: String {
        withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// A slice of these bytes, without copying: it keeps the same owner.
    @inlinable
    public func slice(_ range: Range<Int>) -> Bytes {
        precondition(range.lowerBound >= 0 && range.upperBound <= length, "Bytes slice out of range")
        guard !range.isEmpty, let base else { return Bytes() }
        return Bytes(base: base + range.lowerBound, count: range.count, owner: owner)
    }
}

extension Bytes: ExpressibleByStringLiteral {
    /// A literal body: a pointer to constant data, no allocation.
    @inlinable
    public init(stringLiteral value: StaticString) {
        if value.hasPointerRepresentation {
            self.init(base: UnsafeRawPointer(value.utf8Start), count: value.utf8CodeUnitCount, owner: nil)
        } else {
            self.init(value.withUTF8Buffer { Array($0) })
        }
    }
}

extension Bytes: RandomAccessCollection {
    public var startIndex: Int { 0 }

    @inlinable
    public var endIndex: Int { length }

    @inlinable
    public subscript(position: Int) -> UInt8 {
        precondition(position >= 0 && position < length, "Bytes index out of range")
        return withExtendedLifetime(owner) { base.unsafelyUnwrapped.load(fromByteOffset: position, as: UInt8.self) }
    }

    @inlinable
    public func withContiguousStorageIfAvailable<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R? {
        try withUnsafeBytes { try body($0.bindMemory(to: UInt8.self)) }
    }
}

extension Bytes: Hashable {
    public static func == (lhs: Bytes, rhs: Bytes) -> Bool {
        lhs.withUnsafeBytes { l in rhs.withUnsafeBytes { r in l.elementsEqual(r) } }
    }

    public func hash(into hasher: inout Hasher) {
        withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

extension Bytes: CustomStringConvertible, CustomDebugStringConvertible {
    /// The bytes as text (UTF-8 with replacement), for logs and test failures.
    public var description: String { utf8String }
    public var debugDescription: String { "b" + utf8String.debugDescription }
}

extension Bytes {
    /// Concatenation, as Python's `b"a" + b"b"`.
    public static func + (lhs: Bytes, rhs: Bytes) -> Bytes {
        let joined = ByteStorage(count: lhs.count + rhs.count) { target in
            lhs.withUnsafeBytes { target.copyMemory(from: $0) }
            rhs.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: target[lhs.count...]).copyMemory(from: $0) }
        }
        return Bytes(joined)
    }
}
