import HTTP1Parser
import HTTP2
import Logging
import SharedBytes

/// The response: parts pulled from the application into the queue, the queue read into DATA
/// frames, and how the response ends.
extension HTTP2Stream {
    /// Asks the application for its next part when the queue is empty. Returns whether something
    /// changed (a part arrived, or the response ended): the caller resumes the stream's data then.
    func pull() -> Bool {
        let opened = openWindow()
        guard case .running = phase, queue.isEmpty else { return opened }
        if var reading = file {
            do {
                if let block = try reading.nextBlock() {
                    file = reading
                    enqueue(block)
                } else {
                    file = nil
                    phase = .ending
                }
            } catch {
                abort("file body: \(error)")
            }
            return true
        }
        if let channel {
            guard let part = channel.takePart() else { return false }
            handle(part)
        } else if let source {
            handle(source.next(into: self))
        } else {
            return false
        }
        return true
    }

    /// Written data of an application on the loop thread (`write()`): queued, then sent as far as
    /// the socket and the peer's window take it now.
    func push(_ part: ResponsePart) throws {
        guard case .running = phase else { throw ResponseAbandoned() }
        handle(part)
        connection.session.resumeData(stream: id)
        var budget = HTTP2Connection.bytesPerTurn
        connection.flushOutput(budget: &budget)
        guard case .running = phase else { throw ResponseAbandoned() }
    }

    func handle(_ part: consuming ResponsePart) {
        switch consume part {
        case .head(let head, let chunk, let final):
            guard status == 0 else { return abort("a second response head") }
            status = head.status
            let hasBody = !isHeadRequest && !ResponseHead.forbidsBody(status: head.status)
            remainingLength = head.contentLength
            if let accessRecord { context.accessLog?.captureResponse(accessRecord, lines: head.lines.stableBytes) }
            do {
                try connection.session.respond(stream: id, fields: HTTP2ResponseHead.fields(of: head, context: context), hasBody: hasBody)
            } catch {
                return abort("response head: \(error)")
            }
            guard hasBody else { return complete() }
            if let chunk { enqueue(chunk) }
            if final { phase = .ending }
        case .chunk(let chunk, let final):
            guard status != 0 else { return abort("body chunk before the response head") }
            enqueue(chunk)
            if final { phase = .ending }
        case .file(let slice):
            guard status != 0 else { return abort("file body before the response head") }
            var limited = slice
            if let remainingLength { limited.length = min(limited.length ?? Int.max, remainingLength) }
            file = FileBody(limited)
        case .end:
            guard status != 0 else { return abort("response ended without a head") }
            phase = .ending
        case .abort(let reason):
            abort(reason)
        }
    }

    /// Queues a chunk, cut at the declared Content-Length (the rest is dropped and logged).
    func enqueue(_ chunk: Bytes) {
        guard case .running = phase, !chunk.isEmpty else { return }
        var chunk = chunk
        if let remaining = remainingLength {
            if chunk.count >= remaining {
                if chunk.count > remaining {
                    context.logger.warning("application sent more than its Content-Length; extra bytes dropped", metadata: [
                        "peer": "\(connection.peerDescription)", "excess": "\(chunk.count - remaining)",
                    ])
                    chunk = chunk.slice(0..<remaining)
                }
                phase = .ending
            }
            remainingLength = remaining - chunk.count
        }
        if !chunk.isEmpty { queue.append(chunk) }
    }

    /// nghttp2 asks for DATA: the queue's bytes, the end once the queue is empty and the last
    /// part came, or wait (the connection pulls the next part and resumes the stream).
    func read(into buffer: UnsafeMutableRawBufferPointer) -> BodyRead {
        var filled = 0
        while filled < buffer.count, !queue.isEmpty {
            let taken = queue[0].withUnsafeBytes { chunk in
                let count = min(chunk.count - queueOffset, buffer.count - filled)
                UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<(filled + count)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: chunk[queueOffset..<(queueOffset + count)]))
                return count
            }
            filled += taken
            queueOffset += taken
            if queueOffset == queue[0].count {
                queue.removeFirst()
                queueOffset = 0
            }
        }
        bodyBytes += filled
        guard queue.isEmpty else { return .bytes(filled) }
        switch phase {
        case .ending where file == nil:
            if let remainingLength, remainingLength > 0 {
                context.logger.error("application sent less than its Content-Length; resetting the stream", metadata: [
                    "peer": "\(connection.peerDescription)", "stream": "\(id)", "missing": "\(remainingLength)",
                ])
                finishExchange(logged: false)
                return .fail
            }
            complete()
            return .end(filled)
        case .finished:
            return .fail
        default:
            return filled > 0 ? .bytes(filled) : .wait
        }
    }

    /// The response is complete: logged, counted, and the application's side closed.
    func complete() {
        finishExchange(logged: true)
    }

    /// The application failed after its head, or broke the protocol: the stream is reset (the
    /// client sees the response is incomplete); the connection goes on.
    func abort(_ reason: String) {
        context.logger.error("response aborted", metadata: ["peer": "\(connection.peerDescription)", "stream": "\(id)", "reason": "\(reason)"])
        finishExchange(logged: false)
        connection.session.reset(stream: id, error: .internalError)
    }

    /// A request refused before any application saw it: a short text answer.
    func respondWithError(status: Int, detail: String) {
        self.status = status
        let text = Bytes(utf8: ErrorResponse.text(status: status, detail: detail))
        var fields = HTTP2Fields(status: status)
        fields.append(name: "content-type", value: "text/plain; charset=utf-8")
        fields.append(name: "content-length", value: String(text.count))
        context.metrics?.refused(status: status)
        phase = .running
        do {
            try connection.session.respond(stream: id, fields: fields, hasBody: !isHeadRequest)
        } catch {
            return abort("error response: \(error)")
        }
        enqueue(text)
        phase = .ending
    }
}
