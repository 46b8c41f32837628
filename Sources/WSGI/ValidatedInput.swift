import Synchronization

/// The `wsgi.input` an application sees under ``Validator``: forwards to the server's stream and
/// checks it behaves as ``WSGIInput`` promises, and that the application never closes it.
///
/// Server-side checks: `read(n)` and `readline(n)` give at most `n` bytes; the stream gives no more
/// than `CONTENT_LENGTH` bytes in all; once a read came back short (the end of the body), no later
/// read gives data. `close()` is reported as an application violation and not forwarded.
///
/// Threading: shared by reference like any `wsgi.input`; its counters live behind a lock, so it is
/// as thread-safe as the stream it wraps.
final class ValidatedInput: WSGIInput {
    private struct State {
        var delivered = 0
        var ended = false
    }

    private let base: any WSGIInput
    private let exchange: ValidatedExchange
    private let contentLength: Int?
    private let state = Mutex(State())

    init(_ base: any WSGIInput, exchange: ValidatedExchange, contentLength: Int?) {
        self.base = base
        self.exchange = exchange
        self.contentLength = contentLength
    }

    func read(_ size: Int) throws -> Bytes {
        let data = try base.read(size)
        // A read for everything, or one that came back short, has reached the end of the body.
        check(data, call: "read(\(size))", size: size, reachedEnd: size < 0 || (size > 0 && data.count < size))
        return data
    }

    func readline(_ size: Int) throws -> Bytes {
        let line = try base.readline(size)
        // A line without its newline that was not cut at `size` stops at the end of the body.
        let cut = size >= 0 && line.count == size
        check(line, call: "readline(\(size))", size: size, reachedEnd: size != 0 && line.last != UInt8(ascii: "\n") && !cut)
        return line
    }

    func close() {
        exchange.report(Violation(.inputClosed, "the application called close() on wsgi.input"))
    }

    private func check(_ data: Bytes, call: String, size: Int, reachedEnd: Bool) {
        var found: [Violation] = []
        if size >= 0 && data.count > size {
            found.append(Violation(.inputOverread, "\(call) returned \(data.count) bytes"))
        }
        state.withLock { state in
            if state.ended && !data.isEmpty {
                found.append(Violation(.inputShortRead, "\(call) returned \(data.count) bytes after a short read ended the body"))
            }
            state.delivered += data.count
            state.ended = state.ended || reachedEnd
            if let contentLength, state.delivered > contentLength {
                found.append(Violation(.inputOverread, "wsgi.input gave \(state.delivered) bytes but CONTENT_LENGTH is \(contentLength)"))
            }
        }
        found.forEach(exchange.report)
    }
}
