import CNGHTTP2

/// One server-side HTTP/2 connection's protocol state, driven from memory: bytes received go in
/// (``receive(_:)``), frames to send come out (``nextOutput()``), and what happens on streams is
/// told to the ``HTTP2SessionDelegate``. nghttp2 keeps the wire format, HPACK, the stream states
/// and flow control's accounting; the delegate decides what streams do and when their data is
/// ready (backpressure: a stream's data is only asked for while the peer's window has room, and
/// the delegate answers ``BodyRead/wait`` until it has some).
///
/// Ownership: this object owns its `nghttp2_session` (deleted in `deinit`) and holds its delegate
/// `unowned` (the delegate owns this object). nghttp2 calls back with this object as its user
/// data, only from inside ``receive(_:)``, ``nextOutput()`` and the submit calls, on the caller's
/// thread. Thread: one at a time (the connection's loop thread).
public final class HTTP2Session {
    private var session: OpaquePointer?
    private unowned let delegate: any HTTP2SessionDelegate
    public let settings: HTTP2Settings
    /// DATA frames received without payload nor END_STREAM (``HTTP2Settings/maxEmptyDataFrames``).
    fileprivate var emptyDataFrames = 0

    public init(delegate: any HTTP2SessionDelegate, settings: HTTP2Settings) throws(HTTP2Error) {
        self.delegate = delegate
        self.settings = settings
        var callbacks: OpaquePointer?
        try HTTP2Error.check(nghttp2_session_callbacks_new(&callbacks))
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, onBeginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, onHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, onFrameReceived)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, onDataChunk)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, onStreamClose)
        nghttp2_session_callbacks_set_error_callback2(callbacks, onError)
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, onFrameSent)

        var option: OpaquePointer?
        try HTTP2Error.check(nghttp2_option_new(&option))
        defer { nghttp2_option_del(option) }
        // The floods nghttp2 counts itself: SETTINGS and PING answers queued faster than the peer
        // reads them, too many SETTINGS entries, CONTINUATION frames, and stream resets.
        nghttp2_option_set_max_outbound_ack(option, settings.maxOutboundControlFrames)
        nghttp2_option_set_max_settings(option, 32)
        nghttp2_option_set_max_continuations(option, settings.maxContinuations)
        nghttp2_option_set_stream_reset_rate_limit(option, UInt64(settings.resetBurst), UInt64(settings.resetsPerSecond))
        nghttp2_option_set_max_deflate_dynamic_table_size(option, 4096)
        // Each stream's window opens as its body is taken (``consume(_:stream:)``).
        nghttp2_option_set_no_auto_window_update(option, 1)
        let user = Unmanaged.passUnretained(self).toOpaque()
        try HTTP2Error.check(nghttp2_session_server_new2(&session, callbacks, user, option))

        var entries = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: settings.maxConcurrentStreams),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: settings.initialWindowSize),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_FRAME_SIZE.rawValue), value: settings.maxFrameSize),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue), value: settings.maxHeaderListSize),
        ]
        try HTTP2Error.check(nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count))
    }

    deinit { nghttp2_session_del(session) }

    // MARK: Bytes

    /// Takes all of `bytes` (the delegate hears of their frames meanwhile). Throws on a
    /// connection error: the peer broke the protocol or flooded; GOAWAY is then queued when the
    /// error allows one (send ``nextOutput()`` before closing).
    public func receive(_ bytes: UnsafeRawBufferPointer) throws(HTTP2Error) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let taken = nghttp2_session_mem_recv(session, base.assumingMemoryBound(to: UInt8.self), bytes.count)
        if taken < 0 { throw HTTP2Error(code: Int32(taken)) }
    }

    /// The next bytes to send, valid until the next call into this session; nil when there is
    /// nothing to send now. Streams' data is asked of the delegate here.
    public func nextOutput() throws(HTTP2Error) -> UnsafeRawBufferPointer? {
        var pointer: UnsafePointer<UInt8>?
        let count = nghttp2_session_mem_send(session, &pointer)
        if count < 0 { throw HTTP2Error(code: Int32(count)) }
        guard count > 0, let pointer else { return nil }
        return UnsafeRawBufferPointer(start: pointer, count: count)
    }

    /// Whether the session still reads or has something to send; false once both sides are done
    /// (GOAWAY exchanged and every stream closed): the connection may close.
    public var isActive: Bool { nghttp2_session_want_read(session) != 0 || nghttp2_session_want_write(session) != 0 }

    /// Whether frames wait to be sent.
    public var wantsToWrite: Bool { nghttp2_session_want_write(session) != 0 }

    // MARK: Streams

    /// Submits a response's head; `hasBody` attaches the data source that asks the delegate for
    /// the body (``HTTP2SessionDelegate/stream(_:readInto:)``).
    public func respond(stream: Int32, fields: HTTP2Fields, hasBody: Bool) throws(HTTP2Error) {
        let status = fields.withNameValuePairs { pairs, count in
            if hasBody {
                var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: readBody)
                return nghttp2_submit_response(session, stream, pairs, count, &provider)
            }
            return nghttp2_submit_response(session, stream, pairs, count, nil)
        }
        try HTTP2Error.check(status)
    }

    /// The stream has data again after answering ``BodyRead/wait``.
    public func resumeData(stream: Int32) {
        _ = nghttp2_session_resume_data(session, stream)
    }

    /// `count` bytes of the stream's body were taken: its window (and the connection's) opens by
    /// that much.
    public func consume(_ count: Int, stream: Int32) {
        guard count > 0 else { return }
        _ = nghttp2_session_consume(session, stream, count)
    }

    /// Ends one stream with RST_STREAM.
    public func reset(stream: Int32, error: HTTP2ErrorCode) {
        _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), stream, error.rawValue)
    }

    /// Graceful shutdown: GOAWAY naming the last stream this side processed, so no new stream is
    /// accepted and those open finish.
    public func goAway() {
        let last = nghttp2_session_get_last_proc_stream_id(session)
        _ = nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), last, HTTP2ErrorCode.noError.rawValue, nil, 0)
    }

    /// Ends the connection: GOAWAY with `error`; nothing more is read.
    public func terminate(_ error: HTTP2ErrorCode) {
        _ = nghttp2_session_terminate_session(session, error.rawValue)
    }

    fileprivate var callbackDelegate: any HTTP2SessionDelegate { delegate }
}

// MARK: - Callbacks (nghttp2 calls them with the session as user data, on the session's thread)

private func owner(_ user: UnsafeMutableRawPointer?) -> HTTP2Session {
    Unmanaged<HTTP2Session>.fromOpaque(user!).takeUnretainedValue()
}

/// Request heads only: trailers (HEADERS after the body) are not given to applications.
private func isRequestHead(_ frame: UnsafePointer<nghttp2_frame>) -> Bool {
    frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue) && frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST
}

private let onBeginHeaders: nghttp2_on_begin_headers_callback = { _, frame, user in
    guard let frame, isRequestHead(frame) else { return 0 }
    owner(user).callbackDelegate.streamOpened(frame.pointee.hd.stream_id)
    return 0
}

private let onHeader: nghttp2_on_header_callback = { _, frame, name, nameLength, value, valueLength, _, user in
    guard let frame, isRequestHead(frame), let name, let value else { return 0 }
    let accepted = owner(user).callbackDelegate.stream(
        frame.pointee.hd.stream_id,
        field: UnsafeRawBufferPointer(start: name, count: nameLength),
        value: UnsafeRawBufferPointer(start: value, count: valueLength))
    // Refused (a field past the limits): nghttp2 resets the stream; the delegate already knows.
    return accepted ? 0 : Int32(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
}

private let onFrameReceived: nghttp2_on_frame_recv_callback = { _, frame, user in
    guard let frame else { return 0 }
    let delegate = owner(user).callbackDelegate
    let stream = frame.pointee.hd.stream_id
    let endsStream = frame.pointee.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
    switch UInt32(frame.pointee.hd.type) {
    case NGHTTP2_HEADERS.rawValue where frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST:
        delegate.streamHeadEnded(stream, endsStream: endsStream)
    case NGHTTP2_DATA.rawValue where frame.pointee.hd.length == 0 && !endsStream:
        // Nothing and no end: counted, and refused past the limit (the session ends).
        let session = owner(user)
        session.emptyDataFrames += 1
        if session.emptyDataFrames > session.settings.maxEmptyDataFrames { return Int32(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue) }
    case NGHTTP2_HEADERS.rawValue, NGHTTP2_DATA.rawValue:
        if endsStream { delegate.streamInputEnded(stream) }
    default:
        break
    }
    return 0
}

/// GOAWAY with an error (a flood, a protocol error found by nghttp2 or submitted by this side).
private let onFrameSent: nghttp2_on_frame_send_callback = { _, frame, user in
    guard let frame, frame.pointee.hd.type == UInt8(NGHTTP2_GOAWAY.rawValue), frame.pointee.goaway.error_code != 0 else { return 0 }
    owner(user).callbackDelegate.sessionSentGoAway(error: HTTP2ErrorCode(rawValue: frame.pointee.goaway.error_code))
    return 0
}

private let onDataChunk: nghttp2_on_data_chunk_recv_callback = { _, _, stream, data, length, user in
    guard let data else { return 0 }
    owner(user).callbackDelegate.stream(stream, received: UnsafeRawBufferPointer(start: data, count: length))
    return 0
}

private let onStreamClose: nghttp2_on_stream_close_callback = { _, stream, errorCode, user in
    owner(user).callbackDelegate.streamClosed(stream, error: HTTP2ErrorCode(rawValue: errorCode))
    return 0
}

private let onError: nghttp2_error_callback2 = { _, _, message, length, user in
    guard let message else { return 0 }
    let text = String(decoding: UnsafeRawBufferPointer(start: message, count: length), as: UTF8.self)
    owner(user).callbackDelegate.sessionReported(text)
    return 0
}

private let readBody: nghttp2_data_source_read_callback = { _, stream, buffer, length, flags, _, user in
    guard let buffer, let flags else { return Int(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue) }
    switch owner(user).callbackDelegate.stream(stream, readInto: UnsafeMutableRawBufferPointer(start: buffer, count: length)) {
    case .bytes(let count):
        return count
    case .end(let count):
        flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
        return count
    case .wait:
        return Int(NGHTTP2_ERR_DEFERRED.rawValue)
    case .fail:
        // nghttp2 resets the stream (INTERNAL_ERROR).
        return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
    }
}
