/// What the framing of a response needs to know about the request it answers.
struct RequestSummary {
    var isHTTP11: Bool
    var isHead: Bool
    /// The client allows keeping the connection and the server is not closing it.
    var keepAlive: Bool
    /// Method and target, kept only when access logging is on.
    var accessLine: (method: String, target: String, start: UInt64)?
}

/// A request whose head was accepted and whose body is arriving (``Connection/State/readingBody``).
struct PendingRequest {
    /// What ``RequestHandler/accept(_:)`` returned; started once the body is complete.
    let source: any ResponseSource
    let body: RequestBody
    var summary: RequestSummary
}

/// The response in progress on a connection (``Connection/State/responding``): where its parts come
/// from, how they are framed, and what the connection does next.
struct Response {
    /// Where the parts come from.
    enum Producer {
        /// The application runs on the loop thread: parts are pulled by calling the source.
        case inline(any ResponseSource)
        /// The application runs on a pool thread: parts arrive through the channel.
        case pooled(PoolChannel)
    }

    /// Where the next part of this response comes from. (Once the head is out, whatever is queued
    /// reaches the kernel before each step, so the application never runs ahead of the client.)
    enum Step {
        /// The producer.
        case pull
        /// The rest of the body is read from a file block by block (chunked framing).
        case readFile(FileBody)
        /// The rest of the body is sent from a file with `sendfile(2)`.
        case sendFile(FileTransfer)
    }

    let producer: Producer
    var request: RequestSummary
    /// Decided by the head; nil until the head arrived.
    var framing: ResponseFraming?
    var step = Step.pull

    init(producer: Producer, request: RequestSummary) {
        self.producer = producer
        self.request = request
    }

    /// Closes the application's side exactly once: the source itself when it runs here, else the
    /// pool thread, told through the channel.
    func closeProducer() {
        switch producer {
        case .inline(let source): source.close()
        case .pooled(let channel): channel.finish()
        }
    }
}
