import Logging
import SharedBytes
import UVLoop

/// Responding: pulling parts from the application, framing them, and ending the response.
extension Connection {
    /// One step of the response in progress.
    /// - Returns: false when it must wait (a part from the pool, the socket for `sendfile`).
    func stepResponse() -> Bool {
        switch exchange.step {
        case .pull: return pullPart()
        case .readFile(let file): return readFileBlock(file)
        case .sendFile(let transfer): return continueFileTransfer(transfer)
        }
    }

    /// Asks the application side for its next part and handles it. On this thread, the parts it
    /// pushed meanwhile (Connection+Pushing) are on their way already.
    private func pullPart() -> Bool {
        if let channel = exchange.channel {
            guard let part = channel.takePart() else { return false }
            handle(part)
            return true
        }
        guard let part = exchange.source?.next(into: self) else { return false }
        if let interruption = exchange.interruption {
            end(after: interruption)
        } else if exchange.framing?.isComplete == true {
            // The application's writes completed the body (its Content-Length, or a response
            // without one): what it returned belongs to nothing.
            completeResponse()
        } else {
            handle(part)
        }
        return true
    }

    func handle(_ part: consuming ResponsePart) {
        switch consume part {
        case .head(let head, let chunk, let final):
            guard exchange.framing == nil else { return abortResponse("a second response head") }
            startFraming(head)
            if let chunk { appendBody(chunk) }
            if final { completeResponse() }
        case .chunk(let chunk, let final):
            guard exchange.framing != nil else { return abortResponse("body chunk before the response head") }
            appendBody(chunk)
            if final { completeResponse() }
        case .file(let slice):
            guard let capacity = exchange.framing.map(\.rawCapacity) else { return abortResponse("file body before the response head") }
            if let capacity {
                let count = min(capacity, slice.length ?? Int.max)
                exchange.step = .sendFile(FileTransfer(descriptor: slice.descriptor, offset: slice.offset, remaining: count))
            } else {
                exchange.step = .readFile(FileBody(slice))
            }
        case .end:
            guard exchange.framing != nil else { return abortResponse("response ended without a head") }
            completeResponse()
        case .abort(let reason):
            abortResponse(reason)
        }
    }

    /// Decides the response's framing and queues its head. When the request body is still
    /// arriving, the application may go on reading it while its response goes out (full duplex,
    /// as in gunicorn's workers), but the connection closes after this response: what the
    /// application leaves unread must never be taken for a request.
    func startFraming(_ head: ResponseHead) {
        if exchange.body != nil { exchange.request.keepAlive = false }
        exchange.framing = ResponseFraming(head: head, request: exchange.request, context: context)
        if let accessRecord, exchange.request.isLogged { context.accessLog?.captureResponse(accessRecord, lines: head.lines.stableBytes) }
    }

    func appendBody(_ chunk: Bytes) {
        guard isHandlingRequest, !chunk.isEmpty, !frameBody(chunk) else { return }
        completeResponse()
    }

    /// Queues a non-empty chunk with the response's framing.
    /// - Returns: whether the body may go on; false once it is complete (the caller completes the
    ///   response).
    func frameBody(_ chunk: Bytes) -> Bool {
        guard let outcome = exchange.framing?.append(chunk, to: context.out) else { return true }
        switch outcome {
        case .more:
            return true
        case .lengthReached(let excess):
            if excess > 0 {
                context.logger.warning("application sent more than its Content-Length; extra bytes dropped", metadata: [
                    "peer": "\(peerDescription)", "excess": "\(excess)",
                ])
            }
            return false
        case .noBody:
            return false
        }
    }

    /// The body ended (or was cut at its Content-Length): terminate the framing, get ready for the
    /// next request or finish, then close the application's side (its code runs once the
    /// connection has moved on, so it finds the response over).
    func completeResponse() {
        guard isHandlingRequest, let ending = exchange.framing?.finish(into: context.out), let framing = exchange.framing else { return }
        if case .short(let sent, let declared) = ending {
            context.logger.error("application sent less than its Content-Length; closing the connection", metadata: [
                "peer": "\(peerDescription)", "sent": "\(sent)", "declared": "\(declared)",
            ])
        }
        let elapsed = context.timesRequests ? context.clock.nanoseconds &- requestStart : 0
        if let accessRecord, exchange.request.isLogged { context.logAccess(accessRecord, peer: info, status: framing.status, bytes: framing.bodyBytes, elapsed: elapsed) }
        context.metrics?.responseCompleted(status: framing.status, bytes: framing.bodyBytes, nanoseconds: elapsed)
        if framing.keepAlive && !context.isDraining {
            state = .awaitingRequest
            arm(.keepAliveIdle)
        } else {
            state = .finishing
            arm(.none)
        }
        exchange.close()
        context.responseCompleted()
    }

    /// The application failed after the head went out, or broke the protocol: what was queued
    /// still goes out, then the connection finishes without completing the framing, so the client
    /// can tell the response is truncated.
    func abortResponse(_ reason: String) {
        guard isHandlingRequest else { return }
        context.logger.error("response aborted", metadata: ["peer": "\(peerDescription)", "reason": "\(reason)"])
        state = .finishing
        arm(.none)
        exchange.close()
    }

    // MARK: Files

    /// Reads the next block of a file body (framing that cannot carry raw bytes: chunked).
    private func readFileBlock(_ file: FileBody) -> Bool {
        var file = file
        do {
            guard let block = try file.nextBlock() else {
                handle(.end)
                return true
            }
            exchange.step = .readFile(file)
            handle(.chunk(block, final: false))
        } catch {
            handle(.abort("file body: \(error)"))
        }
        return true
    }

    /// Moves a `sendfile(2)` transfer on. Returns false while it waits for the socket (the
    /// connection hears ``becameWritable(_:)``) or after a failure; true once the file part is done
    /// and the response completed.
    private func continueFileTransfer(_ transfer: FileTransfer) -> Bool {
        var transfer = transfer
        // Whatever is queued (the head) goes first, keeping the bytes in order.
        if !context.out.isEmpty {
            guard flush() else { return false }
        }
        var budget = FileTransfer.bytesPerTurn
        var fileEnded = false
        do {
            while transfer.remaining > 0 && budget > 0 {
                let sent = try transport.sendFile(transfer.descriptor, offset: transfer.offset, count: min(transfer.remaining, budget))
                if sent == 0 { break }
                if sent < 0 {
                    fileEnded = true
                    break
                }
                transfer.offset += sent
                transfer.remaining -= sent
                budget -= sent
                exchange.framing?.recordRawBytes(sent)
            }
        } catch {
            context.logger.debug("sendfile failed; closing", metadata: ["peer": "\(peerDescription)", "error": "\(error)"])
            close()
            return false
        }
        guard transfer.remaining == 0 || fileEnded else {
            // The socket is full, or this connection had its turn: continue when it can write.
            exchange.step = .sendFile(transfer)
            return waitUntilWritable()
        }
        completeResponse()
        return true
    }

    private func waitUntilWritable() -> Bool {
        do {
            try transport.notifyWhenWritable()
            writesInFlight += 1
            arm(.write)
        } catch {
            context.logger.info("cannot wait for the socket; closing", metadata: ["peer": "\(peerDescription)", "error": "\(error)"])
            close()
        }
        return false
    }

    /// The socket can take more of a `sendfile` transfer.
    func becameWritable(_ error: UVError?) {
        writesInFlight -= 1
        if error != nil { return close() }
        guard isHandlingRequest else { return }
        arm(.none)
        advanceBufferedInput()
        settle()
    }
}
