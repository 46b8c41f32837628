import Synchronization

/// `wsgi.input`: the request body as a read-only, file-like stream.
///
/// Semantics follow PEP 3333 and buffered Python files:
/// - ``read(_:)`` returns exactly `size` bytes unless the body ends first, then fewer; an empty
///   result means end of body. A negative size reads the rest.
/// - The stream ends at CONTENT_LENGTH (or at the end of a de-chunked body): it never blocks waiting
///   for bytes beyond the body and never consumes the next request.
/// - ``close()`` is harmless: it never closes the connection.
///
/// Implementations are classes shared by reference (as Python's file objects are) and must be safe
/// to call from whichever single thread runs the application.
public protocol WSGIInput: AnyObject, Sendable {
    /// Up to `size` bytes; fewer only at the end of the body; all that remains when `size < 0`.
    func read(_ size: Int) throws -> Bytes
    /// One line including its `\n`, cut at `size` bytes when `size >= 0`; empty at the end.
    func readline(_ size: Int) throws -> Bytes
    /// Does not close anything a server needs; later reads may return empty bytes.
    func close()
}

extension WSGIInput {
    /// All that remains of the body: Python's `read()`.
    public func read() throws -> Bytes { try read(-1) }

    /// The next line: Python's `readline()`.
    public func readline() throws -> Bytes { try readline(-1) }

    /// The remaining lines. `hint` stops after that many bytes have been read (0 or negative: no limit).
    public func readlines(_ hint: Int = -1) throws -> [Bytes] {
        var lines: [Bytes] = []
        var total = 0
        while true {
            let line = try readline(-1)
            if line.isEmpty { break }
            lines.append(line)
            total += line.count
            if hint > 0 && total >= hint { break }
        }
        return lines
    }

    /// Iteration by lines, Python's `for line in environ["wsgi.input"]`:
    /// `var lines = environ.input.lines; while let line = try lines.next() { ... }`.
    public var lines: InputLines { InputLines(input: self) }
}

/// Line-by-line iteration over a ``WSGIInput``; `next()` throws where the stream does.
public struct InputLines {
    let input: any WSGIInput

    public mutating func next() throws -> Bytes? {
        let line = try input.readline(-1)
        return line.isEmpty ? nil : line
    }
}

/// A ``WSGIInput`` over bytes held in memory: for tests, middleware that replaces a body, and
/// environs built by hand.
public final class BytesInput: WSGIInput {
    private let state: Mutex<(bytes: [UInt8], position: Int)>

    public init(_ bytes: Bytes) { state = Mutex((bytes.array, 0)) }

    public func read(_ size: Int) throws -> Bytes {
        state.withLock { state in
            let available = state.bytes.count - state.position
            let count = size < 0 ? available : min(size, available)
            defer { state.position += count }
            return Bytes(state.bytes[state.position..<state.position + count])
        }
    }

    public func readline(_ size: Int) throws -> Bytes {
        state.withLock { state in
            var end = state.position
            let limit = size < 0 ? state.bytes.count : min(state.bytes.count, state.position + size)
            while end < limit {
                end += 1
                if state.bytes[end - 1] == UInt8(ascii: "\n") { break }
            }
            defer { state.position = end }
            return Bytes(state.bytes[state.position..<end])
        }
    }

    public func close() {}
}
