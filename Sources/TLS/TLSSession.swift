import COpenSSL

/// One connection's TLS: an OpenSSL `SSL` between two memory BIOs, with no socket and no event
/// loop. Ciphertext received from the peer goes in (``receiveCiphertext(_:)``); the handshake and
/// reads turn it into plaintext (``handshake()``, ``readPlaintext(into:)``); plaintext to send goes
/// in (``writePlaintext(_:)``) and leaves as ciphertext (``takeCiphertext(into:)``), which the
/// transport owning the session writes to its socket. Nothing here blocks or waits: the transport
/// decides when to read and when to write, so TLS keeps the event loop's backpressure and its
/// one-write-at-a-time streaming (a record per chunk, no body buffered).
///
/// Ownership: the session owns its `SSL`, which owns both BIOs (`SSL_set_bio`), freed in `deinit`;
/// it keeps its ``TLSContext`` alive (the `SSL` points into it: the `SSL_CTX`, the ALPN list its
/// callback reads), so a context replaced meanwhile lives on until its last session ends. Thread: one thread at a time (the loop
/// thread of its connection); OpenSSL's error queue is per thread, read right after each call.
public final class TLSSession {
    private let context: TLSContext
    private let ssl: OpaquePointer
    /// Ciphertext from the peer, read by OpenSSL. Owned by `ssl`.
    private let incoming: OpaquePointer
    /// Ciphertext for the peer, written by OpenSSL. Owned by `ssl`.
    private let outgoing: OpaquePointer

    /// Where a handshake, or a read, stands.
    public enum Progress: Equatable, Sendable {
        /// Done (a read: that many plaintext bytes were read).
        case done(Int)
        /// More ciphertext from the peer is needed first (then send what is pending).
        case needsInput
        /// The peer closed the TLS session (close_notify).
        case closed
    }

    /// A session of `context`: the server's side, or a client's (then `serverName` is sent as SNI
    /// and the server's certificate must match it).
    public init(context: TLSContext, serverName: String? = nil) throws(TLSError) {
        TLSError.clearQueue()
        guard let ssl = SSL_new(context.raw) else { throw TLSError("creating a TLS session") }
        guard let incoming = BIO_new(BIO_s_mem()), let outgoing = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw TLSError("creating a TLS session's buffers")
        }
        // An empty memory BIO means "nothing yet", not end of file.
        BIO_ctrl(incoming, BIO_C_SET_BUF_MEM_EOF_RETURN, -1, nil)
        BIO_ctrl(outgoing, BIO_C_SET_BUF_MEM_EOF_RETURN, -1, nil)
        SSL_set_bio(ssl, incoming, outgoing)
        self.context = context
        self.ssl = ssl
        self.incoming = incoming
        self.outgoing = outgoing
        if context.isClient {
            if let serverName {
                guard swsgi_ssl_set_server_name(ssl, serverName) == 1, SSL_set1_host(ssl, serverName) == 1 else {
                    throw TLSError("setting the server name \(serverName)")
                }
            }
            SSL_set_connect_state(ssl)
        } else {
            SSL_set_accept_state(ssl)
        }
    }

    deinit { SSL_free(ssl) }

    /// Bytes received from the peer. The memory BIO keeps whatever OpenSSL has not read yet.
    public func receiveCiphertext(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var written = 0
        // A memory BIO takes everything (it grows); the loop only guards the Int32 count.
        while written < bytes.count {
            let count = Int32(clamping: bytes.count - written)
            let result = BIO_write(incoming, base + written, count)
            guard result > 0 else { return }
            written += Int(result)
        }
    }

    /// Whether the handshake completed.
    public var isEstablished: Bool { SSL_is_init_finished(ssl) == 1 }

    /// Advances the handshake with the ciphertext received so far; afterwards, send what is
    /// pending (``pendingCiphertext``), which may hold an alert when this throws.
    public func handshake() throws(TLSError) -> Progress {
        TLSError.clearQueue()
        let result = SSL_do_handshake(ssl)
        if result == 1 { return .done(0) }
        return try progress(after: result, "handshake")
    }

    /// Reads decrypted bytes into `buffer` (completing the handshake first if needed).
    public func readPlaintext(into buffer: UnsafeMutableRawBufferPointer) throws(TLSError) -> Progress {
        guard buffer.count > 0 else { return .done(0) }
        TLSError.clearQueue()
        var count = 0
        let result = SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &count)
        if result == 1 { return .done(count) }
        return try progress(after: result, "reading")
    }

    /// Encrypts as much of `bytes` as one call takes (a partial write is allowed); returns the
    /// plaintext bytes consumed, 0 while the handshake still needs the peer.
    public func writePlaintext(_ bytes: UnsafeRawBufferPointer) throws(TLSError) -> Int {
        guard bytes.count > 0 else { return 0 }
        TLSError.clearQueue()
        var count = 0
        let result = SSL_write_ex(ssl, bytes.baseAddress, bytes.count, &count)
        if result == 1 { return count }
        switch try progress(after: result, "writing") {
        case .done, .needsInput: return 0
        case .closed: throw TLSError("writing: the peer closed the TLS session")
        }
    }

    /// Ciphertext waiting to be sent to the peer.
    public var pendingCiphertext: Int { Int(BIO_ctrl_pending(outgoing)) }

    /// Moves up to `buffer.count` bytes of pending ciphertext into `buffer`; returns the count.
    public func takeCiphertext(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0, pendingCiphertext > 0 else { return 0 }
        let result = BIO_read(outgoing, base, Int32(clamping: buffer.count))
        return max(0, Int(result))
    }

    /// Queues close_notify (sent with the pending ciphertext). A session is closed once.
    public func close() {
        TLSError.clearQueue()
        if isEstablished { _ = SSL_shutdown(ssl) }
        TLSError.clearQueue()
    }

    /// The protocol ALPN selected (`http/1.1`, `h2`), nil when none was.
    public var negotiatedProtocol: String? {
        var name: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &name, &length)
        guard let name, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: name, count: Int(length)), as: UTF8.self)
    }

    /// The TLS version in use (`TLSv1.3`).
    public var protocolVersion: String { String(cString: SSL_get_version(ssl)) }

    /// The cipher suite in use, OpenSSL's name (`TLS_AES_256_GCM_SHA384`).
    public var cipherName: String {
        guard let cipher = SSL_get_current_cipher(ssl), let name = SSL_CIPHER_get_name(cipher) else { return "" }
        return String(cString: name)
    }

    /// Whether input waits inside the session: decrypted bytes not read yet, or ciphertext received
    /// and not yet decrypted. The socket will not report it readable again, so a reader that
    /// stopped must come back for it.
    public var hasBufferedInput: Bool { SSL_pending(ssl) > 0 || BIO_ctrl_pending(incoming) > 0 }

    /// The verified certificate of the peer, as its subject in RFC 2253 form
    /// (`CN=client,O=Example`); nil when the peer sent none or it was not verified.
    public var verifiedPeerSubject: String? {
        guard SSL_get_verify_result(ssl) == X509_V_OK, let certificate = SSL_get1_peer_certificate(ssl) else { return nil }
        defer { X509_free(certificate) }
        guard let name = X509_get_subject_name(certificate), let memory = BIO_new(BIO_s_mem()) else { return nil }
        defer { BIO_free(memory) }
        guard X509_NAME_print_ex(memory, name, 0, swsgi_name_flags_rfc2253()) >= 0 else { return nil }
        let length = Int(BIO_ctrl_pending(memory))
        return String(unsafeUninitializedCapacity: length) { buffer in
            Int(max(0, BIO_read(memory, buffer.baseAddress, Int32(length))))
        }
    }

    /// What a failed call means: more input needed, the peer closed, or an error (thrown).
    private func progress(after result: Int32, _ operation: String) throws(TLSError) -> Progress {
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return .needsInput
        case SSL_ERROR_ZERO_RETURN: return .closed
        default: throw TLSError(operation)
        }
    }
}
