/// Settling: where every event of a connection ends (after its bytes, its EOF, a write's
/// completion, a part from the pool, writability, a timeout).
extension Connection {
    /// Every event ends here: flush what is queued, start closing when finished, and read only while
    /// the buffered input stays under its bound (backpressure on pipelining clients). Afterwards the
    /// loop's output queue is empty, ready for the next connection's turn.
    func settle() {
        switch state {
        case .lingering, .closed:
            context.out.discard()
            return
        default:
            break
        }
        if writesInFlight == 0 && !context.out.isEmpty {
            // Written at the loop's flush point, with the other connections' output; meanwhile
            // it counts as a write in flight.
            if let queue = context.deferOutput(of: self) {
                deferredOutput = queue
                writesInFlight += 1
            } else {
                _ = flush()
            }
        }
        assert(context.out.isEmpty, "a connection left output in the loop's shared queue")
        switch state {
        case .finishing:
            if writesInFlight == 0 { startClosing() }
            return
        case .lingering, .closed:
            return
        case .awaitingRequest, .readingHead, .readingBody, .responding:
            break
        }
        guard !inputEnded else { return }
        // An application on this thread receives its body for itself, from the socket: libuv
        // must not take those bytes meanwhile (Connection+ReceivingBody).
        if input.count >= context.configuration.maxBufferedInput || exchange.body?.isReceivedByReader == true {
            transport.stopReading()
        } else if !transport.isReading {
            do {
                try transport.startReading()
            } catch {
                context.logger.debug("cannot resume reading", metadata: ["peer": "\(peerDescription)", "error": "\(error)"])
                close()
            }
        }
    }
}
