import HTTP2
import Logging

/// The session's events, each handed to its stream.
extension HTTP2Connection: HTTP2SessionDelegate {
    func streamOpened(_ stream: Int32) {
        streams[stream] = HTTP2Stream(id: stream, connection: self)
        arm(.none)
    }

    func stream(_ stream: Int32, field name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool {
        streams[stream]?.addField(name: name, value: value) ?? false
    }

    func streamHeadEnded(_ stream: Int32, endsStream: Bool) {
        streams[stream]?.headEnded(endsStream: endsStream)
    }

    func stream(_ stream: Int32, received bytes: UnsafeRawBufferPointer) {
        // Bytes stored, or of a stream gone, open the window at once; a streamed body's as read.
        session.consume(streams[stream]?.receiveBody(bytes) ?? bytes.count, stream: stream)
    }

    func streamInputEnded(_ stream: Int32) {
        streams[stream]?.requestEnded()
    }

    func streamClosed(_ stream: Int32, error: HTTP2ErrorCode) {
        streams.removeValue(forKey: stream)?.closed(error: error)
    }

    func stream(_ stream: Int32, readInto buffer: UnsafeMutableRawBufferPointer) -> BodyRead {
        streams[stream]?.read(into: buffer) ?? .fail
    }

    /// One log line per connection ended for a flood or a protocol error, rate-limited as the
    /// refusals of HTTP/1.1 are (a flood of such connections is a few lines a second).
    func sessionSentGoAway(error: HTTP2ErrorCode) {
        context.refusalLog.log(context.logger, level: .info, "HTTP/2 connection ended with GOAWAY", metadata: [
            "peer": "\(peerDescription)", "error": "\(error)",
        ], now: context.now)
        if state == .open || state == .goingAway { state = .failing }
    }

    func sessionReported(_ message: String) {
        context.logger.debug("HTTP/2", metadata: ["peer": "\(peerDescription)", "detail": "\(message)"])
    }
}
