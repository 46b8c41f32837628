/// A WSGI bytestring: the type of every response body chunk and of everything read from `wsgi.input`.
///
/// PEP 3333 keeps bodies as bytes and never as text; this is Swift's spelling of Python's `bytes`.
/// A string literal (`"Index"`, like Python's `b"Index"`) is stored as a pointer to the binary's
/// constant data, so returning a literal body costs no allocation. Other bytes live in an immutable
/// heap block (``ByteStorage``) that a `Bytes` value may view a slice of.
///
/// Both storages have a stable address for as long as a `Bytes` value holding them is alive, which
/// lets a server hand a chunk to an asynchronous socket write without copying it (see
/// ``withStableBytes(_:)``).
///
/// `Bytes` is an immutable value: it is `Sendable` and may cross threads freely.
public struct Bytes: Sendable {
    @usableFromInline
    enum Storage: Sendable {
        case literal(StaticString)
        case heap(ByteStorage, offset: Int, count: Int)
    }

    @usableFromInline
    let storage: Storage

    @inlinable
    init(storage: Storage) { self.storage = storage }

    /// The empty bytestring.
    @inlinable
    public init() { storage = .literal("") }

    /// Bytes copied from any sequence of octets.
    @inlinable
    public init<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        let copied = bytes.withContiguousStorageIfAvailable { ByteStorage(copying: UnsafeRawBufferPointer($0)) }
            ?? Array(bytes).withUnsafeBytes { ByteStorage(copying: $0) }
        storage = .heap(copied, offset: 0, count: copied.count)
    }

    /// A view of `count` bytes of `storage` from `offset`, without copying.
    public init(_ storage: ByteStorage, offset: Int = 0, count: Int? = nil) {
        let count = count ?? storage.count - offset
        precondition(offset >= 0 && count >= 0 && offset + count <= storage.count, "Bytes slice out of range")
        self.storage = .heap(storage, offset: offset, count: count)
    }

    /// The UTF-8 encoding of `string`.
    ///
    /// A convenience for bodies; status and header strings follow the ISO-8859-1 rule instead
    /// (see ``init(latin1:)``).
    public init(utf8 string: String) {
        var string = string
        let copied = string.withUTF8 { ByteStorage(copying: UnsafeRawBufferPointer($0)) }
        storage = .heap(copied, offset: 0, count: copied.count)
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

    /// Calls `body` with the bytes' contiguous storage; the pointer is valid only during the call.
    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(stableBytes)
    }

    /// The bytes' address, valid for as long as `self` (or a copy) is kept alive.
    ///
    /// For servers that queue a chunk for an asynchronous write: keep the `Bytes` value in the write
    /// request until its completion, and the pointer stays valid and unchanged (literals live in the
    /// binary's constant data; heap storage is immutable and never moves).
    @inlinable
    public var stableBytes: UnsafeRawBufferPointer {
        switch storage {
        case .literal(let literal):
            // Only pointer-represented literals are stored (see init(stringLiteral:)).
            return UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        case .heap(let block, let offset, let count):
            return UnsafeRawBufferPointer(start: block.base + offset, count: count)
        }
    }

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

    /// A slice of these bytes, without copying heap storage.
    public func slice(_ range: Range<Int>) -> Bytes {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "Bytes slice out of range")
        switch storage {
        case .literal:
            return Bytes(self[range])
        case .heap(let block, let offset, _):
            return Bytes(block, offset: offset + range.lowerBound, count: range.count)
        }
    }
}

/// An immutable block of bytes on the heap with a stable address; the storage behind ``Bytes``.
///
/// Filled once at creation (``init(count:initializer:)`` or ``init(copying:)``) and never changed
/// afterwards, so any number of `Bytes` values and threads may share it.
///
/// `@unchecked Sendable` is sound: both stored properties are `let`, the memory behind `base` is
/// written only inside the initializer (before the object can be shared) and freed only in `deinit`
/// (when no other reference exists), so every access from any thread is a read of immutable data.
public final class ByteStorage: @unchecked Sendable {
    /// Start of the block. Valid and unchanged until the storage is deinitialized.
    public let base: UnsafeRawPointer
    public let count: Int

    /// A block of `count` bytes written once by `initializer`.
    public init(count: Int, initializer: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 16)
        do {
            try initializer(UnsafeMutableRawBufferPointer(rebasing: block[0..<count]))
        } catch {
            block.deallocate()
            throw error
        }
        base = UnsafeRawPointer(block.baseAddress!)
        self.count = count
    }

    /// Takes ownership of `memory`, allocated with `UnsafeMutableRawPointer.allocate`, holding
    /// `count` initialized bytes: no copy. The caller must not use or free it afterwards (servers use
    /// this to hand a received request body to the application).
    public init(adopting memory: UnsafeMutableRawPointer, count: Int) {
        base = UnsafeRawPointer(memory)
        self.count = count
    }

    /// A block holding a copy of `bytes`.
    public convenience init(copying bytes: UnsafeRawBufferPointer) {
        self.init(count: bytes.count) { target in
            if let source = bytes.baseAddress, bytes.count > 0 { target.baseAddress!.copyMemory(from: source, byteCount: bytes.count) }
        }
    }

    deinit { UnsafeMutableRawPointer(mutating: base).deallocate() }
}

extension Bytes: ExpressibleByStringLiteral {
    /// A literal body: stored as a pointer to constant data, no allocation.
    @inlinable
    public init(stringLiteral value: StaticString) {
        if value.hasPointerRepresentation {
            self.init(storage: .literal(value))
        } else {
            self.init(value.withUTF8Buffer { Array($0) })
        }
    }
}

extension Bytes: RandomAccessCollection {
    public var startIndex: Int { 0 }

    @inlinable
    public var endIndex: Int {
        switch storage {
        case .literal(let literal): return literal.utf8CodeUnitCount
        case .heap(_, _, let count): return count
        }
    }

    @inlinable
    public subscript(position: Int) -> UInt8 {
        let bytes = stableBytes
        precondition(position >= 0 && position < bytes.count, "Bytes index out of range")
        return bytes[position]
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
