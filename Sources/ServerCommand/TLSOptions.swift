import ArgumentParser
import TLS

/// TLS on every listener, with gunicorn's flags and meanings (`certfile`, `keyfile`, `ca_certs`,
/// `cert_reqs`, `ciphers` in its config files). Without `--certfile` the server speaks plain HTTP.
public struct TLSOptions: ParsableArguments {
    @Option(help: ArgumentHelp("TLS certificate, PEM, the server's first and then its chain: every listener speaks TLS (HTTPS). SIGHUP loads it again. Default: plain HTTP.", valueName: "FILE"))
    public var certfile: String?

    @Option(help: ArgumentHelp("The certificate's private key, PEM. Default: the key inside --certfile.", valueName: "FILE"))
    public var keyfile: String?

    @Option(name: .customLong("ca-certs"), help: ArgumentHelp("CA certificates, PEM, that verify client certificates (--cert-reqs 1 or 2).", valueName: "FILE"))
    public var caCerts: String?

    @Option(name: .customLong("cert-reqs"), help: ArgumentHelp(
        "Client certificates: 0 not asked for; 1 asked for, verified when sent; 2 required (mutual TLS). A verified subject reaches the application as SSL_CLIENT_S_DN.",
        valueName: "0|1|2"))
    public var certReqs: Int = 0

    @Option(help: ArgumentHelp("OpenSSL cipher list for TLS 1.2 (TLS 1.3 keeps OpenSSL's suites). Default: forward-secret AEAD suites only (\(TLSServerSettings.defaultCiphers)).", valueName: "LIST"))
    public var ciphers: String?

    public init() {}

    public func validate() throws {
        guard let certfile else {
            if keyfile != nil || caCerts != nil || certReqs != 0 || ciphers != nil {
                throw ValidationError("--keyfile, --ca-certs, --cert-reqs and --ciphers need --certfile")
            }
            return
        }
        guard !certfile.isEmpty else { throw ValidationError("--certfile is empty") }
        guard let requirement = TLSServerSettings.ClientCertificates(rawValue: certReqs) else {
            throw ValidationError("--cert-reqs must be 0 (none), 1 (optional) or 2 (required), not \(certReqs)")
        }
        if requirement != .none && caCerts == nil {
            throw ValidationError("--cert-reqs \(certReqs) verifies client certificates: it needs --ca-certs")
        }
    }

    /// The TLS settings the flags describe; nil without `--certfile`.
    public var settings: TLSServerSettings? {
        guard let certfile else { return nil }
        return TLSServerSettings(
            certificateFile: certfile, keyFile: keyfile ?? certfile, caFile: caCerts,
            clientCertificates: TLSServerSettings.ClientCertificates(rawValue: certReqs) ?? .none, ciphers: ciphers
        )
    }
}
