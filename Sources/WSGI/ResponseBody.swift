/// What an application returns: the response body, which the server pulls one chunk at a time.
///
/// Python's iterable-of-bytestrings. The server asks for the next chunk only after the previous one
/// is on its way to the client, skips empty chunks, and calls ``close()`` exactly once whatever
/// happens (normal end, error, client gone, server shutdown), so `close` is where an application
/// releases what the body holds.
///
/// ```swift
/// return ["Hello"]                                   // a list of chunks; its count is known
/// return ResponseBody((0..<n).lazy.map { _ in chunk }) // any lazy sequence
/// return ResponseBody(next: { ... }, close: { ... })   // a generator, step by step
/// ```
///
/// Consume a body once: it is a value, but the underlying iterator may not be.
public struct ResponseBody: ExpressibleByArrayLiteral {
    // A list body is its chunks and a position; any other body is a `Source`, whose payloads are
    // class references. Bodies are copied and stepped for every response, and only class payloads
    // copy and destroy with a plain retain/release (an existential would go through the runtime).
    // Inlinable where a server steps every body, from another module.
    @usableFromInline enum Source {
        case iterator(IteratorBox)
        case file(FileWrapper)
    }

    @usableFromInline final class IteratorBox {
        @usableFromInline var iterator: any ResponseIterator
        init(_ iterator: any ResponseIterator) { self.iterator = iterator }
    }

    @usableFromInline var chunks: [Bytes]
    @usableFromInline var position = 0
    @usableFromInline var source: Source?
    @usableFromInline var isClosed = false

    /// A body of known chunks (Python's list): `len()` is known, so a one-chunk body gets a computed
    /// Content-Length.
    @inlinable
    public init(_ chunks: [Bytes]) { self.chunks = chunks }

    public init(arrayLiteral chunks: Bytes...) { self.chunks = chunks }

    /// A body pulled lazily from any sequence; nothing is produced before the server asks.
    public init<S: Sequence>(_ sequence: S) where S.Element == Bytes {
        self.init(SequenceIterator(base: sequence.makeIterator()))
    }

    /// A generator: `next` is called for each chunk until it returns `nil`; `close` runs exactly
    /// once at the end, as Python's `close()` on the iterable.
    public init(next: @escaping () throws -> Bytes?, close: @escaping () -> Void = {}) {
        self.init(ClosureIterator(nextChunk: next, onClose: close))
    }

    /// A body driven by a custom iterator type.
    public init(_ iterator: some ResponseIterator) {
        chunks = []
        source = .iterator(IteratorBox(iterator))
    }

    /// The body of `wsgi.file_wrapper`: the server may send it with `sendfile(2)`.
    public init(_ file: FileWrapper) {
        chunks = []
        source = .file(file)
    }

    /// The next chunk, or `nil` at the end. May run application code (and so may throw).
    @inlinable
    public mutating func next() throws -> Bytes? {
        guard !isClosed else { return nil }
        switch source {
        case .iterator(let box)?: return try box.iterator.next()
        case .file(let file)?: return try file.next()
        case nil:
            guard position < chunks.count else { return nil }
            position += 1
            return chunks[position - 1]
        }
    }

    /// Releases the body's resources (Python's `close()`); later calls do nothing.
    @inlinable
    public mutating func close() {
        guard !isClosed else { return }
        isClosed = true
        switch source {
        case .iterator(let box)?: box.iterator.close()
        case .file(let file)?: file.close()
        case nil: break
        }
        source = nil
        chunks = []
    }

    /// Python's `len(iterable)`: the number of chunks when known.
    @inlinable
    public var count: Int? {
        guard !isClosed else { return nil }
        switch source {
        case .iterator(let box)?: return box.iterator.count
        case .file?: return nil
        case nil: return chunks.count
        }
    }

    /// The server's own file wrapper, when this body is one and nobody wrapped it: servers use this
    /// to send the file with `sendfile(2)`. Any other body is sent by iteration.
    @inlinable
    public var fileWrapper: FileWrapper? {
        if !isClosed, case .file(let file)? = source { return file }
        return nil
    }
}

/// A custom body iterator (a class or struct with state, Python's iterator object with `close()`).
public protocol ResponseIterator {
    /// The next chunk, or `nil` at the end.
    mutating func next() throws -> Bytes?
    /// Called exactly once by the server when the response ends, however it ends.
    mutating func close()
    /// Python's `len()`: the number of chunks, when known (default `nil`).
    var count: Int? { get }
}

extension ResponseIterator {
    public mutating func close() {}
    public var count: Int? { nil }
}

private struct SequenceIterator<Base: IteratorProtocol>: ResponseIterator where Base.Element == Bytes {
    var base: Base
    mutating func next() throws -> Bytes? { base.next() }
}

private struct ClosureIterator: ResponseIterator {
    let nextChunk: () throws -> Bytes?
    let onClose: () -> Void
    func next() throws -> Bytes? { try nextChunk() }
    func close() { onClose() }
}
