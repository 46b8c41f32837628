/// A WSGI bytestring: the type of every response body chunk and of everything read from `wsgi.input`.
///
/// PEP 3333 keeps bodies as bytes and never as text; this is Swift's spelling of Python's `bytes`.
/// A string literal (`"Index"`, like Python's `b"Index"`) is stored as a pointer to the binary's
/// constant data, so returning a literal body costs no allocation. Other storage is an `[UInt8]`.
///
/// `Bytes` is an immutable value: it is `Sendable` and may cross threads freely.
public struct Bytes: Sendable {
    @usableFromInline
    enum Storage: Sendable {
        case literal(StaticString)
        case array([UInt8])
    }

    @usableFromInline
    let storage: Storage

    /// The empty bytestring.
    public init() { storage = .array([]) }

    /// Bytes copied from any sequence of octets.
    @inlinable
    public init<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        storage = .array(Array(bytes))
    }

    /// Takes ownership of an array without copying it.
    @inlinable
    public init(_ array: [UInt8]) { storage = .array(array) }

    /// The UTF-8 encoding of `string`.
    ///
    /// A convenience for bodies; status and header strings follow the ISO-8859-1 rule instead
    /// (see ``init(latin1:)``).
    @inlinable
    public init(utf8 string: String) { storage = .array(Array(string.utf8)) }

    /// The ISO-8859-1 encoding of `string` (each scalar becomes one byte), or `nil` when the
    /// string holds a scalar above U+00FF, which PEP 3333 calls a fatal error for native strings.
    public init?(latin1 string: String) {
        var out = [UInt8]()
        out.reserveCapacity(string.utf8.count)
        for scalar in string.unicodeScalars {
            guard scalar.value <= 0xFF else { return nil }
            out.append(UInt8(truncatingIfNeeded: scalar.value))
        }
        storage = .array(out)
    }

    /// Calls `body` with the bytes' contiguous storage; the pointer is valid only during the call.
    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch storage {
        case .literal(let literal):
            // Only pointer-represented literals are stored (see init(stringLiteral:)); their bytes
            // live in the binary's constant data for the life of the process.
            return try body(UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
        case .array(let array):
            return try array.withUnsafeBytes(body)
        }
    }

    /// The bytes as an array (copies a literal; free for array storage).
    public var array: [UInt8] {
        switch storage {
        case .literal(let literal): return literal.withUTF8Buffer { Array($0) }
        case .array(let array): return array
        }
    }

    /// The bytes decoded 1:1 as ISO-8859-1: the "bytes as native string" rule of PEP 3333.
    public var latin1String: String {
        withUnsafeBytes { raw in
            var scalars = String.UnicodeScalarView()
            for byte in raw { scalars.append(Unicode.Scalar(byte)) }
            return String(scalars)
        }
    }

    /// The bytes decoded as UTF-8, invalid sequences replaced by U+FFFD.
    public var utf8String: String {
        withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }
}

extension Bytes: ExpressibleByStringLiteral {
    /// A literal body: stored as a pointer to constant data, no allocation.
    @inlinable
    public init(stringLiteral value: StaticString) {
        if value.hasPointerRepresentation {
            storage = .literal(value)
        } else {
            storage = .array(value.withUTF8Buffer { Array($0) })
        }
    }
}

extension Bytes: RandomAccessCollection {
    public var startIndex: Int { 0 }

    @inlinable
    public var endIndex: Int {
        switch storage {
        case .literal(let literal): return literal.utf8CodeUnitCount
        case .array(let array): return array.count
        }
    }

    @inlinable
    public subscript(position: Int) -> UInt8 {
        switch storage {
        case .literal(let literal):
            precondition(position >= 0 && position < literal.utf8CodeUnitCount, "Bytes index out of range")
            return literal.utf8Start[position]
        case .array(let array):
            return array[position]
        }
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
    public var debugDescription: String { "b\"" + utf8String.debugDescription.dropFirst().dropLast() + "\"" }
}

extension Bytes {
    /// Concatenation, as Python's `b"a" + b"b"`.
    public static func + (lhs: Bytes, rhs: Bytes) -> Bytes {
        var out = [UInt8]()
        out.reserveCapacity(lhs.count + rhs.count)
        lhs.withUnsafeBytes { out.append(contentsOf: $0) }
        rhs.withUnsafeBytes { out.append(contentsOf: $0) }
        return Bytes(out)
    }
}
