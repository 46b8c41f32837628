import Foundation

/// Certificates made at test time with the `openssl` command (Debian's openssl package): a CA, a
/// server certificate for `localhost` and 127.0.0.1 signed by it, a client certificate signed by
/// it, a second server certificate (a rotation), and a second, unrelated CA. EC P-256 keys: quick to make.
public struct TestCertificates: Sendable {
    public let directory: String
    public var caFile: String { directory + "/ca.pem" }
    public var otherCAFile: String { directory + "/other-ca.pem" }
    public var serverCertificate: String { directory + "/server.pem" }
    public var serverKey: String { directory + "/server.key" }
    public var clientCertificate: String { directory + "/client.pem" }
    public var clientKey: String { directory + "/client.key" }
    /// A second server certificate for `localhost` from the same CA (another subject): a rotation.
    public var rotatedCertificate: String { directory + "/rotated.pem" }
    public var rotatedKey: String { directory + "/rotated.key" }

    /// One set per test process.
    public static let shared: TestCertificates = {
        do {
            return try TestCertificates()
        } catch {
            fatalError("cannot make test certificates with openssl: \(error)")
        }
    }()

    private init() throws {
        directory = NSTemporaryDirectory() + "swift-wsgi-tls-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        // The extensions strict verifiers require (Python 3.13's default context: a CA's key usage
        // and critical basic constraints, a leaf's authority key identifier).
        let ca = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]
        try openssl(["req", "-x509"] + key + ca + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=swift-wsgi test CA"])
        try openssl(["req", "-x509"] + key + ca + ["-keyout", "other-ca.key", "-out", "other-ca.pem", "-days", "2", "-subj", "/CN=another CA"])
        try issue("server", subject: "/CN=localhost", extensions: "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n", key: key)
        try issue("client", subject: "/CN=client one/O=Example", extensions: "extendedKeyUsage=clientAuth\n", key: key)
        try issue("rotated", subject: "/CN=localhost/O=rotated", extensions: "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n", key: key)
    }

    private func issue(_ name: String, subject: String, extensions: String, key: [String]) throws {
        let leaf = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n"
        try (leaf + extensions).write(toFile: "\(directory)/\(name).ext", atomically: true, encoding: .utf8)
        try openssl(["req"] + key + ["-keyout", "\(name).key", "-out", "\(name).csr", "-subj", subject])
        try openssl([
            "x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "\(name).pem", "-days", "2", "-extfile", "\(name).ext",
        ])
    }

    private func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Not waitUntilExit(): it runs a Foundation run loop on this thread (a test's worker
        // thread), which the process manager thread wakes from outside.
        guard process.waitForExit() == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "openssl \(arguments.joined(separator: " ")) failed"])
        }
    }
}
