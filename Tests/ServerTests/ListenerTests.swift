import Foundation
import Glibc
import Testing
import TestSupport

/// `--bind` beyond one TCP address, from outside through the real binaries: unix sockets (with
/// workers too), several addresses at once, inherited descriptors, bad values.
@Suite struct ListenerTests {
    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("swift-wsgi-\(UUID().uuidString.prefix(8))-\(name)").path
    }

    static func environ(_ client: RawClient) throws -> [String: String] {
        try client.send("GET /x HTTP/1.1\r\nHost: h\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        let json = try #require(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        return try #require(json["environ"] as? [String: String])
    }

    static func waitUntilGone(_ path: String) -> Bool {
        eventually { !FileManager.default.fileExists(atPath: path) }
    }

    @Test(arguments: [[], ["--workers", "2"]]) func aUnixSocketServesAndIsRemovedOnExit(extra: [String]) throws {
        let path = Self.temporaryPath("echo.sock")
        let server = try ServerProcess(["--app", "echo", "--bind", "unix:\(path)"] + extra)
        #expect(server.listeningLine == "Listening on unix:\(path)")
        let environ = try Self.environ(RawClient(unixSocket: path))
        #expect(environ["SERVER_NAME"] == "localhost")
        #expect(environ["SERVER_PORT"] == "80")
        #expect(environ["REMOTE_ADDR"] == nil)
        #expect(environ["PATH_INFO"] == "/x")
        // A unix socket's peer is trusted as a proxy (nginx on the same machine).
        let client = try RawClient(unixSocket: path)
        try client.send("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 203.0.113.4\r\nX-Forwarded-Proto: https\r\n\r\n")
        let forwarded = try #require(JSONSerialization.jsonObject(with: Data(client.readResponse().body)) as? [String: Any])
        #expect((forwarded["environ"] as? [String: String])?["REMOTE_ADDR"] == "203.0.113.4")
        #expect((forwarded["environ"] as? [String: String])?["wsgi.url_scheme"] == "https")
        server.signal(SIGTERM)
        #expect(server.process.waitForExit() == 0)
        #expect(Self.waitUntilGone(path))
    }

    @Test func aStaleSocketFileIsReplacedAndAnyOtherFileRefused() throws {
        let path = Self.temporaryPath("stale.sock")
        // A socket file nobody listens on any more, as a killed server leaves it.
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path.utf8) }
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(stale, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        #expect(bound == 0)
        close(stale)
        let server = try ServerProcess(["--app", "echo", "--bind", "unix:\(path)"])
        #expect(try Self.environ(RawClient(unixSocket: path))["PATH_INFO"] == "/x")
        server.signal(SIGTERM)
        _ = server.process.waitForExit()

        let regular = Self.temporaryPath("regular")
        #expect(FileManager.default.createFile(atPath: regular, contents: Data("keep me".utf8)))
        let refused = Process()
        refused.executableURL = URL(fileURLWithPath: ServerProcess.binaryPath())
        refused.arguments = ["--bind", "unix:\(regular)"]
        let errors = Pipe()
        refused.standardError = errors
        refused.standardOutput = FileHandle.nullDevice
        try refused.run()
        #expect(refused.waitForExit() != 0)
        #expect(String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("is not a socket"))
        #expect(try String(contentsOfFile: regular, encoding: .utf8) == "keep me")
        try? FileManager.default.removeItem(atPath: regular)
    }

    @Test func theUmaskSetsTheSocketFilesMode() throws {
        let path = Self.temporaryPath("mode.sock")
        let server = try ServerProcess(["--bind", "unix:\(path)", "--umask", "0o077"])
        var status = stat()
        #expect(stat(path, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o700)
        server.signal(SIGTERM)
        _ = server.process.waitForExit()
    }

    @Test(arguments: [[], ["--workers", "2"], ["--loops", "2"]]) func severalAddressesAtOnce(extra: [String]) throws {
        let path = Self.temporaryPath("both.sock")
        let server = try ServerProcess(["--app", "echo", "--bind", "127.0.0.1:0", "--bind", "unix:\(path)"] + extra)
        #expect(server.port > 0)
        #expect(try Self.environ(RawClient(port: server.port))["REMOTE_ADDR"] == "127.0.0.1")
        #expect(try Self.environ(RawClient(unixSocket: path))["SERVER_NAME"] == "localhost")
        server.signal(SIGTERM)
        #expect(server.process.waitForExit() == 0)
        #expect(Self.waitUntilGone(path))
    }

    @Test(arguments: ["unix:", "fd://x", "host:port", "1.2.3.4:70000", "::1:80", "a b:80"])
    func badBindsAreUsageErrors(bind: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServerProcess.binaryPath())
        process.arguments = ["--bind", bind]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        #expect(process.waitForExit() == 2)
    }

    /// Runs `wsgi-demo` through Python, which first opens a listening socket as descriptor 3 (as
    /// systemd or a parent process would pass it) and, for `activation`, sets LISTEN_FDS/LISTEN_PID.
    static func serveInherited(_ arguments: [String], activation: Bool) throws -> ServerProcess {
        let script = """
            import os, socket, sys
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
            os.dup2(s.fileno(), 3); os.set_inheritable(3, True)
            if sys.argv[1] == "1":
                os.environ["LISTEN_FDS"] = "1"; os.environ["LISTEN_PID"] = str(os.getpid())
            os.execv(sys.argv[2], sys.argv[2:])
            """
        return try ServerProcess(
            ["-c", script, activation ? "1" : "0", ServerProcess.binaryPath()] + arguments, executable: "/usr/bin/python3"
        )
    }

    @Test(arguments: [[], ["--workers", "2"]]) func systemdSocketActivation(extra: [String]) throws {
        // The activated socket replaces --bind, as with gunicorn.
        let server = try Self.serveInherited(["--app", "echo", "--bind", "127.0.0.1:1"] + extra, activation: true)
        #expect(server.port > 1)
        let environ = try Self.environ(RawClient(port: server.port))
        #expect(environ["SERVER_PORT"] == String(server.port))
        #expect(environ["LISTEN_FDS"] == nil)
        server.signal(SIGTERM)
        #expect(server.process.waitForExit() == 0)
    }

    @Test func anInheritedDescriptorByNumber() throws {
        let server = try Self.serveInherited(["--app", "echo", "--bind", "fd://3"], activation: false)
        #expect(server.port > 0)
        #expect(try Self.environ(RawClient(port: server.port))["SERVER_PORT"] == String(server.port))
        server.signal(SIGTERM)
        #expect(server.process.waitForExit() == 0)
    }
}
