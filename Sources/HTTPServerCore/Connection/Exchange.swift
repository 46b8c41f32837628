/// What the framing of a response needs to know about the request it answers.
struct RequestSummary {
    var isHTTP11 = true
    var isHead = false
    /// The client allows keeping the connection and the server is not closing it.
    var keepAlive = true
    /// The response is written to the access log (a health probe's is not).
    var isLogged = true
}

/// The request and response in progress on a connection: filled when a head is accepted
/// (``Connection/State/readingBody``), used while the response runs (``Connection/State/responding``),
/// emptied when it ends. A plain value kept inside the connection and changed in place.
struct Exchange {
    /// Where the next part of the response comes from. (Once the head is out, whatever is queued
    /// reaches the kernel before each step, so the application never runs ahead of the client.)
    enum Step {
        /// The application side: the source, or the pool channel.
        case pull
        /// The rest of the body is read from a file block by block (chunked framing).
        case readFile(FileBody)
        /// The rest of the body is sent from a file with `sendfile(2)`.
        case sendFile(FileTransfer)
    }

    /// What the handler returned for the request, until it is handed to a pool thread. Closed
    /// exactly once: here, or by the pool thread (told through ``channel``).
    var source: (any ResponseSource)?
    /// With application threads, once the response started: where its parts arrive.
    var channel: PoolChannel?
    /// The request body while it arrives. (With application threads the application may already
    /// be reading it: ``channel`` is then set while the connection is still in
    /// ``Connection/State/readingBody``.)
    var body: RequestBody?
    /// Bytes of a body its application receives on the loop thread (Connection+ReceivingBody) that
    /// the parser left for later: an incomplete chunk-size or trailer line, parsed again with the
    /// bytes that complete it.
    var heldBodyBytes: [UInt8] = []
    /// Set when something failed under an application running on the loop thread: what the
    /// connection does once it returned control.
    var interruption: Interruption?
    var request = RequestSummary()
    /// Decided by the response head; nil until it arrived.
    var framing: ResponseFraming?
    var step = Step.pull

    /// What failed under an application on the loop thread, to be acted on once it returns
    /// control (its code is still running when the failure happens).
    enum Interruption {
        /// Its request body could not be received (Connection+ReceivingBody).
        case bodyFailed(BodyFailure)
        /// Its `write()` data could not be sent: the client went away or stopped reading.
        case writeFailed(String)
        /// Its gateway pushed a part out of order (Connection+Pushing).
        case brokenProtocol(String)
    }

    /// Ends the application's side exactly once (its code may run: call after the connection has
    /// moved on) and empties the exchange.
    mutating func close() {
        let source = self.source.take()
        let channel = self.channel.take()
        body?.abandon("the exchange ended before the body arrived")
        body = nil
        heldBodyBytes = []
        interruption = nil
        framing = nil
        step = .pull
        if let channel {
            channel.finish()
        } else {
            source?.close()
        }
    }
}
