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
    // One of three kinds, kept in plain fields rather than an enum with payloads: stepping a body
    // happens for every chunk of every response, and rebuilding an enum case copies its payload.
    /// A list body: its chunks and how many were pulled.
    private var chunks: [Bytes]
    private var position = 0
    /// An iterator body.
    private var iterator: (any ResponseIterator)?
    /// A file body (`wsgi.file_wrapper`).
    private var file: FileWrapper?
    private var isClosed = false

    /// A body of known chunks (Python's list): `len()` is known, so a one-chunk body gets a computed
    /// Content-Length.
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
        self.iterator = iterator
    }

    /// The body of `wsgi.file_wrapper`: the server may send it with `sendfile(2)`.
    public init(_ file: FileWrapper) {
        chunks = []
        self.file = file
    }

    /// The next chunk, or `nil` at the end. May run application code (and so may throw).
    public mutating func next() throws -> Bytes? {
        guard !isClosed else { return nil }
        if iterator != nil { return try iterator!.next() }
        if let file { return try file.next() }
        guard position < chunks.count else { return nil }
        position += 1
        return chunks[position - 1]
    }

    /// Releases the body's resources (Python's `close()`); later calls do nothing.
    public mutating func close() {
        guard !isClosed else { return }
        isClosed = true
        if iterator != nil { iterator!.close() }
        file?.close()
        iterator = nil
        file = nil
        chunks = []
    }

    /// Python's `len(iterable)`: the number of chunks when known.
    public var count: Int? {
        if isClosed || file != nil { return nil }
        if let iterator { return iterator.count }
        return chunks.count
    }

    /// The server's own file wrapper, when this body is one and nobody wrapped it: servers use this
    /// to send the file with `sendfile(2)`. Any other body is sent by iteration.
    public var fileWrapper: FileWrapper? { isClosed ? nil : file }
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
