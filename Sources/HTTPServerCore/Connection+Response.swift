import Logging
import UVLoop
import WSGI

/// Pulling, framing and writing the response in progress.
extension Connection {
    /// The next part from the application, or nil when it will arrive later (pool threads).
    func nextPart() -> ResponsePart? {
        if fileBody != nil { return nextFileBlock() }
        if let source { return source.next(into: self) }
        return channel?.takePart()
    }

    /// The sink of an application running on the loop thread: its `write()` data (re-entrant:
    /// called from inside ``nextPart()``) is framed and flushed at once, behind any queued write.
    func push(_ part: ResponsePart) throws {
        guard closing == .open, isResponding else { throw ResponseAbandoned() }
        handle(part)
        if mustFlush {
            mustFlush = false
            _ = flush()
        }
        guard closing == .open, isResponding else { throw ResponseAbandoned() }
    }

    func handle(_ part: ResponsePart) {
        switch part {
        case .head(let head, let chunk, let final):
            framing = ResponseFraming(
                head: head, request: request, out: worker.out, date: worker.date, serverLine: worker.serverLine,
                headerCache: &worker.encodedHeaders
            )
            if let chunk { appendBody(chunk) }
            if final { completeResponse() }
        case .chunk(let chunk, let final):
            guard framing != nil else { return abortResponse("body chunk before the response head") }
            appendBody(chunk)
            if final { completeResponse() }
        case .file(let slice):
            guard framing != nil else { return abortResponse("file body before the response head") }
            sendFile(slice)
        case .end:
            guard framing != nil else { return abortResponse("response ended without a head") }
            completeResponse()
        case .abort(let reason):
            abortResponse(reason)
        }
    }

    /// The rest of the body comes from a file: sent with `sendfile(2)` when the framing carries raw
    /// bytes (Content-Length or close-delimited), else read block by block like any other chunk.
    func sendFile(_ slice: FileSlice) {
        guard let capacity = framing?.rawCapacity else {
            fileBody = FileBody(slice)
            return
        }
        let count = min(capacity, slice.length ?? Int.max)
        fileTransfer = FileTransfer(descriptor: slice.descriptor, offset: slice.offset, remaining: count)
    }

    /// Moves the file transfer on. Returns false while it waits for the socket (the connection is
    /// woken when it can write again); true once the file part is done and the response completed.
    func continueFileTransfer() -> Bool {
        guard var transfer = fileTransfer else { return true }
        // Whatever is queued (the head) goes first, keeping the bytes in order.
        if !worker.out.isEmpty {
            guard flush() else { return false }
        }
        var budget = FileTransfer.bytesPerTurn
        var fileEnded = false
        do {
            while transfer.remaining > 0 && budget > 0 {
                let sent = try stream.sendFile(transfer.descriptor, offset: transfer.offset, count: min(transfer.remaining, budget))
                if sent == 0 { break }
                if sent < 0 {
                    fileEnded = true
                    break
                }
                transfer.offset += sent
                transfer.remaining -= sent
                budget -= sent
                framing?.recordRawBytes(sent)
            }
        } catch {
            worker.logger.debug("sendfile failed; closing", metadata: ["peer": "\(peerDescription)", "error": "\(error)"])
            closeNow()
            return false
        }
        fileTransfer = transfer
        if transfer.remaining > 0 && !fileEnded {
            // The socket is full, or this connection had its turn: continue when it can write.
            waitUntilWritable()
            return false
        }
        fileTransfer = nil
        completeResponse()
        return true
    }

    private func waitUntilWritable() {
        do {
            if writablePoll == nil { writablePoll = try WritablePoll(loop: worker.loop, socket: try stream.fileDescriptor()) }
            try writablePoll?.whenWritable { [self] error in
                writesQueued -= 1
                guard error == nil else { return closeNow() }
                guard closing == .open else { return }
                driveBufferedInput()
                settle()
            }
            writesQueued += 1
            arm(.write)
        } catch {
            worker.logger.info("cannot wait for the socket; closing", metadata: ["peer": "\(peerDescription)", "error": "\(error)"])
            closeNow()
        }
    }

    private func nextFileBlock() -> ResponsePart {
        do {
            guard let block = try fileBody?.nextBlock() else {
                fileBody = nil
                return .end
            }
            return .chunk(block, final: false)
        } catch {
            fileBody = nil
            return .abort("file body: \(error)")
        }
    }

    func appendBody(_ chunk: Bytes) {
        guard isResponding, !chunk.isEmpty, framing != nil else { return }
        switch framing!.append(chunk, to: worker.out) {
        case .more:
            mustFlush = true
        case .lengthReached(let excess):
            if excess > 0 {
                worker.logger.warning("application sent more than its Content-Length; extra bytes dropped", metadata: [
                    "peer": "\(peerDescription)", "excess": "\(excess)",
                ])
            }
            completeResponse()
        case .noBody:
            completeResponse()
        }
    }

    /// The body ended (or was cut at its Content-Length): terminate the framing, close the
    /// application's body, and get ready for the next request or close.
    func completeResponse() {
        guard isResponding, var framing else { return }
        let ending = framing.finish(into: worker.out)
        endExchange()
        if case .short(let sent, let declared) = ending {
            worker.logger.error("application sent less than its Content-Length; closing the connection", metadata: [
                "peer": "\(peerDescription)", "sent": "\(sent)", "declared": "\(declared)",
            ])
        }
        logAccess(status: framing.status, bytes: framing.bodyBytes)
        worker.responseCompleted()
        self.framing = nil
        mustFlush = false
        phase = .idle
        if !framing.keepAlive || worker.isDraining {
            closeAfterResponse = true
        } else {
            arm(.keepAliveIdle)
        }
    }

    /// The application failed after the head went out, or broke the protocol: what was queued
    /// still goes out, then the connection closes without completing the framing, so the client
    /// can tell the response is truncated.
    func abortResponse(_ reason: String) {
        worker.logger.error("response aborted", metadata: ["peer": "\(peerDescription)", "reason": "\(reason)"])
        endExchange()
        framing = nil
        mustFlush = false
        phase = .failed
        closeAfterResponse = true
    }

    /// Closes the application's body exactly once (PEP 3333: `close()` on every path).
    func endExchange() {
        fileBody = nil
        fileTransfer = nil
        writablePoll?.close()
        writablePoll = nil
        // Cleared before closing: close() runs application code, which must find the response over.
        responseGeneration &+= 1
        let source = self.source
        let channel = self.channel
        self.source = nil
        self.channel = nil
        source?.close()
        channel?.finish()
    }

    /// Sends the queued output.
    /// - Returns: true when the kernel took all of it; false when a write is pending or the
    ///   connection failed (then it is closed).
    func flush(forceAsync: Bool = false) -> Bool {
        do {
            let done = try worker.out.flush(to: stream, forceAsync: forceAsync)
            if !done {
                writesQueued += 1
                arm(.write)
            }
            return done
        } catch let error as UVError where error.isDisconnect {
            worker.logger.debug("client went away during a write", metadata: ["peer": "\(peerDescription)", "error": "\(error)"])
            closeNow()
            return false
        } catch {
            worker.logger.info("write failed; closing", metadata: ["peer": "\(peerDescription)", "error": "\(error)"])
            closeNow()
            return false
        }
    }

    func streamDidFinishWrite(_ stream: TCPStream, _ error: UVError?) {
        writesQueued -= 1
        if let error {
            if !error.isCancelled {
                worker.logger.debug("write failed; closing", metadata: ["peer": "\(peerDescription)", "error": "\(error)"])
            }
            closeNow()
            return
        }
        guard closing == .open else { return }
        arm(isResponding ? .none : (closeAfterResponse ? .none : .keepAliveIdle))
        driveBufferedInput()
        settle()
    }

    func logAccess(status: Int, bytes: Int) {
        guard let logger = worker.accessLogger else { return }
        logger.info("\(requestLine?.method ?? "-") \(requestLine?.target ?? "-") \(status)", metadata: [
            "peer": "\(peerDescription)",
            "status": "\(status)",
            "bytes": "\(bytes)",
            "duration_ms": "\(worker.loop.now - requestStart)",
        ])
    }
}
