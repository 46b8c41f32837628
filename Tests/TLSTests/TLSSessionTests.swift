import Foundation
import Testing
import TLS
import TestSupport

/// Sessions in memory, a client against the server, ciphertext carried between them by the test:
/// the handshake (fed whole or a byte at a time), ALPN, data both ways, mutual TLS, and the
/// failures a server must survive (a garbage ClientHello, plaintext HTTP, a missing client
/// certificate), each an error for that session only; files a context refuses, with the reason.
@Suite struct TLSSessionTests {
    static let certificates = TestCertificates.shared

    static func serverContext(
        clientCertificates: TLSServerSettings.ClientCertificates = .none, protocols: [String] = ["http/1.1"]
    ) throws -> TLSContext {
        try TLSContext.server(TLSServerSettings(
            certificateFile: certificates.serverCertificate, keyFile: certificates.serverKey,
            caFile: clientCertificates == .none ? nil : certificates.caFile,
            clientCertificates: clientCertificates, protocols: protocols
        ))
    }

    /// A client session that presents the test client certificate when asked.
    static func clientWithCertificate() throws -> TLSSession {
        try TLSSession(
            context: TLSContext.client(
                trusting: certificates.caFile, certificateFile: certificates.clientCertificate, keyFile: certificates.clientKey
            ),
            serverName: "localhost"
        )
    }

    /// Moves pending ciphertext from `from` to `to`: all of it, or with `step` only that many
    /// bytes (the rest waits for the next call); returns the bytes moved.
    @discardableResult
    static func carry(from: TLSSession, to: TLSSession, step: Int? = nil) -> Int {
        var moved = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: step ?? 65536, alignment: 1)
        defer { buffer.deallocate() }
        while case let count = from.takeCiphertext(into: buffer), count > 0 {
            to.receiveCiphertext(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            moved += count
            if step != nil { break }
        }
        return moved
    }

    /// Runs both handshakes to their end, carrying `step` bytes each way per round (nil: all that
    /// is pending); throws the first error.
    static func connect(_ client: TLSSession, _ server: TLSSession, step: Int? = nil) throws {
        for _ in 0..<100_000 {
            _ = try client.handshake()
            carry(from: client, to: server, step: step)
            _ = try server.handshake()
            carry(from: server, to: client, step: step)
            if client.isEstablished && server.isEstablished && client.pendingCiphertext == 0 && server.pendingCiphertext == 0 { return }
        }
        Issue.record("the handshake did not finish")
    }

    static func send(_ text: String, from: TLSSession, to: TLSSession) throws -> String {
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            written += try bytes.withUnsafeBytes { try from.writePlaintext(UnsafeRawBufferPointer(rebasing: $0[written...])) }
        }
        carry(from: from, to: to)
        var received: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 1)
        defer { buffer.deallocate() }
        while case .done(let count) = try to.readPlaintext(into: buffer), count > 0 {
            received += buffer[..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }

    @Test(arguments: [nil, 1] as [Int?])
    func aHandshakeFedWholeOrByteByByteAgreesOnHTTP11AndCarriesData(step: Int?) throws {
        let server = try TLSSession(context: Self.serverContext())
        let client = try TLSSession(context: TLSContext.client(trusting: Self.certificates.caFile), serverName: "localhost")
        try Self.connect(client, server, step: step)
        #expect(server.negotiatedProtocol == "http/1.1")
        #expect(client.negotiatedProtocol == "http/1.1")
        #expect(server.protocolVersion == "TLSv1.3")
        #expect(try Self.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", from: client, to: server) == "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(try Self.send("HTTP/1.1 200 OK\r\n\r\n", from: server, to: client) == "HTTP/1.1 200 OK\r\n\r\n")
        #expect(server.verifiedPeerSubject == nil, "no client certificate was asked for")
    }

    @Test func theServersPreferenceWinsAndNoCommonProtocolGoesOnWithoutALPN() throws {
        let server = try TLSSession(context: Self.serverContext(protocols: ["h2", "http/1.1"]))
        let client = try TLSSession(
            context: TLSContext.client(trusting: Self.certificates.caFile, protocols: ["http/1.1", "h2"]), serverName: "localhost"
        )
        try Self.connect(client, server)
        #expect(server.negotiatedProtocol == "h2")

        let plain = try TLSSession(context: Self.serverContext())
        let h2Only = try TLSSession(context: TLSContext.client(trusting: Self.certificates.caFile, protocols: ["h2"]), serverName: "localhost")
        try Self.connect(h2Only, plain)
        #expect(plain.negotiatedProtocol == nil)
    }

    @Test func aLargeWriteLeavesAsRecordsTheClientReadsWhole() throws {
        let server = try TLSSession(context: Self.serverContext())
        let client = try TLSSession(context: TLSContext.client(trusting: Self.certificates.caFile), serverName: "localhost")
        try Self.connect(client, server)
        let body = String(repeating: "0123456789abcdef", count: 16 * 1024)  // 256 KiB
        #expect(try Self.send(body, from: server, to: client) == body)
    }

    @Test func mutualTLSReportsTheVerifiedClientSubject() throws {
        let server = try TLSSession(context: Self.serverContext(clientCertificates: .required))
        let client = try Self.clientWithCertificate()
        try Self.connect(client, server)
        _ = try Self.send("ping", from: client, to: server)
        #expect(server.verifiedPeerSubject == "O=Example,CN=client one")
    }

    @Test func aRequiredClientCertificateThatIsMissingFailsThatHandshakeOnly() throws {
        let context = try Self.serverContext(clientCertificates: .required)
        let server = try TLSSession(context: context)
        let client = try TLSSession(context: TLSContext.client(trusting: Self.certificates.caFile), serverName: "localhost")
        #expect(throws: TLSError.self) {
            try Self.connect(client, server)
            // TLS 1.3: the server decides after the client's Finished; the client hears on its read.
            _ = try Self.send("ping", from: client, to: server)
        }
        // The context serves the next client.
        let next = try TLSSession(context: context)
        let good = try Self.clientWithCertificate()
        try Self.connect(good, next)
        #expect(next.isEstablished)
    }

    @Test func aClientThatDoesNotTrustTheServersCAGivesUp() throws {
        let server = try TLSSession(context: Self.serverContext())
        let client = try TLSSession(context: TLSContext.client(trusting: Self.certificates.otherCAFile), serverName: "localhost")
        let error = try #require(throws: TLSError.self) { try Self.connect(client, server) }
        #expect(error.description.contains("certificate verify failed"))
    }

    @Test(arguments: ["GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", "\u{16}\u{03}\u{01}\u{00}\u{05}garbage-that-is-no-hello"])
    func plaintextOrAGarbageHelloFailsThatSessionOnly(_ input: String) throws {
        let context = try Self.serverContext()
        let server = try TLSSession(context: context)
        Array(input.utf8).withUnsafeBytes { server.receiveCiphertext($0) }
        #expect(throws: TLSError.self) { _ = try server.handshake() }
        #expect(!server.isEstablished)
        let next = try TLSSession(context: context)
        let client = try TLSSession(context: TLSContext.client(trusting: Self.certificates.caFile), serverName: "localhost")
        try Self.connect(client, next)
        #expect(next.isEstablished)
    }

    @Test func badFilesAreRefusedWithTheFileAndTheReason() throws {
        let missing = TLSServerSettings(certificateFile: "/nonexistent/cert.pem", keyFile: Self.certificates.serverKey)
        let missingError = try #require(throws: TLSError.self) { try TLSContext.server(missing) }
        #expect(missingError.description.hasPrefix("loading the certificate /nonexistent/cert.pem"))

        let mismatched = TLSServerSettings(certificateFile: Self.certificates.serverCertificate, keyFile: Self.certificates.clientKey)
        let mismatchError = try #require(throws: TLSError.self) { try TLSContext.server(mismatched) }
        #expect(mismatchError.description.contains("key values mismatch"))

        let noCA = TLSServerSettings(
            certificateFile: Self.certificates.serverCertificate, keyFile: Self.certificates.serverKey, clientCertificates: .required
        )
        let noCAError = try #require(throws: TLSError.self) { try TLSContext.server(noCA) }
        #expect(noCAError.description.contains("ca_certs"))

        let badCiphers = TLSServerSettings(
            certificateFile: Self.certificates.serverCertificate, keyFile: Self.certificates.serverKey, ciphers: "NO-SUCH-CIPHER"
        )
        #expect(throws: TLSError.self) { try TLSContext.server(badCiphers) }
    }
}
