import COpenSSL

/// The server side of TLS on a listener, with gunicorn's setting names.
public struct TLSServerSettings: Sendable {
    /// Which client certificates the server asks for (gunicorn's `cert_reqs`: 0, 1, 2).
    public enum ClientCertificates: Int, Sendable {
        /// None asked for (0).
        case none = 0
        /// Asked for, verified when sent (1).
        case optional = 1
        /// Required and verified: mutual TLS (2).
        case required = 2
    }

    /// `certfile`: PEM, the server's certificate first, then its chain.
    public var certificateFile: String
    /// `keyfile`: the certificate's private key, PEM.
    public var keyFile: String
    /// `ca_certs`: the CAs that verify client certificates, PEM.
    public var caFile: String?
    /// `cert_reqs`.
    public var clientCertificates: ClientCertificates
    /// `ciphers`: an OpenSSL cipher list for TLS 1.2 (TLS 1.3's suites are OpenSSL's defaults);
    /// nil: ``defaultCiphers``.
    public var ciphers: String?

    /// TLS 1.2's suites when none are named: forward-secret AEAD only (Mozilla's "intermediate"
    /// list), no CBC (LUCKY13) or RSA key exchange, which OpenSSL's own default still offers.
    public static let defaultCiphers = "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:!aNULL:!SHA1"
    /// Application protocols offered through ALPN, in the server's order of preference.
    public var protocols: [String]

    public init(
        certificateFile: String, keyFile: String, caFile: String? = nil, clientCertificates: ClientCertificates = .none,
        ciphers: String? = nil, protocols: [String] = ["http/1.1"]
    ) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.caFile = caFile
        self.clientCertificates = clientCertificates
        self.ciphers = ciphers
        self.protocols = protocols
    }
}

/// An OpenSSL `SSL_CTX`: the certificate and key, client verification, the protocol floor (TLS
/// 1.2) and ALPN, shared by the sessions of every connection of a listener.
///
/// Ownership: this object owns its `SSL_CTX` (freed in `deinit`) and the ALPN list its callback
/// reads; every ``TLSSession`` keeps its context alive, so a context replaced meanwhile (a
/// certificate rotation) lives until its last connection ends, and open connections are untouched.
///
/// `@unchecked Sendable` is sound: the context is configured entirely in its initializer, before
/// anything else can see it, and never changed afterwards; OpenSSL makes a configured `SSL_CTX`
/// safe to use from several threads at once (`SSL_new`, the session cache, under its own locks).
public final class TLSContext: @unchecked Sendable {
    let raw: OpaquePointer
    /// The ALPN protocols in wire format (each prefixed by its length), for the selection callback
    /// (server) or the offer (client). Freed in `deinit`, after the `SSL_CTX` that points at it.
    private let alpn: UnsafeMutableBufferPointer<UInt8>
    /// Whether sessions of this context are clients (the tests' side, and a client's checks).
    let isClient: Bool

    private init(method: OpaquePointer?, protocols: [String], isClient: Bool) throws(TLSError) {
        TLSError.clearQueue()
        guard let raw = SSL_CTX_new(method) else { throw TLSError("creating a TLS context") }
        self.raw = raw
        self.isClient = isClient
        var wire: [UInt8] = []
        for name in protocols where !name.isEmpty && name.utf8.count < 256 {
            wire.append(UInt8(name.utf8.count))
            wire += name.utf8
        }
        alpn = .allocate(capacity: max(1, wire.count))
        _ = alpn.initialize(from: wire)
        swsgi_ssl_ctx_set_write_modes(raw)
        guard swsgi_ssl_ctx_set_min_tls12(raw) == 1 else { throw TLSError("setting TLS 1.2 as the lowest version") }
        swsgi_ssl_ctx_set_safe_options(raw)
    }

    deinit {
        SSL_CTX_free(raw)
        alpn.deallocate()
    }

    /// A listener's context: loads and checks the certificate and key, the CAs for client
    /// certificates, the ciphers. Throws with the file and OpenSSL's reason when one is refused.
    public static func server(_ settings: TLSServerSettings) throws(TLSError) -> TLSContext {
        let context = try TLSContext(method: TLS_server_method(), protocols: settings.protocols, isClient: false)
        let raw = context.raw
        TLSError.clearQueue()
        guard SSL_CTX_use_certificate_chain_file(raw, settings.certificateFile) == 1 else {
            throw TLSError("loading the certificate \(settings.certificateFile)")
        }
        guard SSL_CTX_use_PrivateKey_file(raw, settings.keyFile, SSL_FILETYPE_PEM) == 1 else {
            throw TLSError("loading the private key \(settings.keyFile)")
        }
        guard SSL_CTX_check_private_key(raw) == 1 else {
            throw TLSError("the private key \(settings.keyFile) does not match the certificate \(settings.certificateFile)")
        }
        let ciphers = settings.ciphers ?? TLSServerSettings.defaultCiphers
        guard SSL_CTX_set_cipher_list(raw, ciphers) == 1 else { throw TLSError("the cipher list \(ciphers)") }
        if let caFile = settings.caFile {
            guard SSL_CTX_load_verify_locations(raw, caFile, nil) == 1, let names = SSL_load_client_CA_file(caFile) else {
                throw TLSError("loading the CA certificates \(caFile)")
            }
            SSL_CTX_set_client_CA_list(raw, names)
        }
        switch settings.clientCertificates {
        case .none: SSL_CTX_set_verify(raw, SSL_VERIFY_NONE, nil)
        case .optional: SSL_CTX_set_verify(raw, SSL_VERIFY_PEER, nil)
        case .required: SSL_CTX_set_verify(raw, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
        }
        if settings.clientCertificates != .none && settings.caFile == nil {
            throw TLSError("client certificates are asked for (cert_reqs \(settings.clientCertificates.rawValue)) but no CA file verifies them (ca_certs)")
        }
        SSL_CTX_set_alpn_select_cb(raw, selectProtocol, Unmanaged.passUnretained(context).toOpaque())
        return context
    }

    /// A client's context, verifying the server against `caFile` (nil: the system's CAs) and
    /// offering `protocols` through ALPN; with `certificateFile` and `keyFile`, it presents that
    /// certificate when asked (mutual TLS).
    public static func client(
        trusting caFile: String?, protocols: [String] = ["http/1.1"], certificateFile: String? = nil, keyFile: String? = nil
    ) throws(TLSError) -> TLSContext {
        let context = try TLSContext(method: TLS_client_method(), protocols: protocols, isClient: true)
        let raw = context.raw
        TLSError.clearQueue()
        let loaded = caFile.map { SSL_CTX_load_verify_locations(raw, $0, nil) } ?? SSL_CTX_set_default_verify_paths(raw)
        guard loaded == 1 else { throw TLSError("loading the CA certificates \(caFile ?? "of the system")") }
        SSL_CTX_set_verify(raw, SSL_VERIFY_PEER, nil)
        if let certificateFile, let keyFile {
            guard SSL_CTX_use_certificate_chain_file(raw, certificateFile) == 1,
                  SSL_CTX_use_PrivateKey_file(raw, keyFile, SSL_FILETYPE_PEM) == 1 else {
                throw TLSError("loading the client certificate \(certificateFile)")
            }
        }
        if context.alpn.count > 1 || context.alpn[0] != 0 {
            // 0 is success here, unlike the rest of OpenSSL.
            guard SSL_CTX_set_alpn_protos(raw, context.alpn.baseAddress, UInt32(context.alpn.count)) == 0 else {
                throw TLSError("offering ALPN protocols")
            }
        }
        return context
    }

    /// The server's ALPN choice: its first protocol the client also offers; none in common, the
    /// handshake goes on without ALPN (a client that offers only `h2` then speaks HTTP/1.1 or
    /// gives up, as with any server that lacks `h2`).
    private static let selectProtocol: SSL_CTX_alpn_select_cb_func = { _, out, outLength, offered, offeredLength, argument in
        guard let out, let outLength, let offered, let argument else { return SSL_TLSEXT_ERR_NOACK }
        let context = Unmanaged<TLSContext>.fromOpaque(argument).takeUnretainedValue()
        var chosen: UnsafeMutablePointer<UInt8>?
        let result = SSL_select_next_proto(
            &chosen, outLength, context.alpn.baseAddress, UInt32(context.alpn.count), offered, offeredLength
        )
        guard result == OPENSSL_NPN_NEGOTIATED, let chosen else { return SSL_TLSEXT_ERR_NOACK }
        out.pointee = UnsafePointer(chosen)
        return SSL_TLSEXT_ERR_OK
    }
}
