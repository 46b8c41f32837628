import Foundation
import Glibc
import Testing
import TestSupport

/// The nginx binary `make test-nginx` installed.
let nginxExecutable = ProcessInfo.processInfo.environment["SWIFT_WSGI_NGINX"]

struct NginxFailure: Error, CustomStringConvertible {
    let description: String
}

/// `swift-wsgi` behind a real nginx (`make test-nginx` installs it and sets SWIFT_WSGI_NGINX): two
/// instances, one on TCP and one on a unix socket, in one upstream, as the README's deployment
/// configuration has them.
@Suite(.enabled(if: nginxExecutable != nil, "set SWIFT_WSGI_NGINX (make test-nginx)"), .serialized)
final class NginxTests {
    let directory: String
    let socketPath: String
    let tcpInstance: ServerProcess
    let unixInstance: ServerProcess
    let proxy: Process
    let port: Int

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("swift-wsgi-nginx-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        chmod(directory, 0o755)
        socketPath = directory + "/app.sock"
        tcpInstance = try PythonFixtures.serve(["proxied_app"])
        unixInstance = try ServerProcess(
            ["proxied_app", "--bind", "unix:\(socketPath)"], binary: "swift-wsgi", directory: PythonFixtures.directory, captureLog: true
        )
        port = try freeTCPPort()
        let configuration = """
            worker_processes 1;
            pid \(directory)/nginx.pid;
            error_log \(directory)/error.log warn;
            events { worker_connections 1024; }
            http {
                access_log off;
                client_body_temp_path \(directory)/body;
                proxy_temp_path \(directory)/proxy;
                upstream app {
                    server 127.0.0.1:\(tcpInstance.port) max_fails=1 fail_timeout=30s;
                    server unix:\(socketPath) max_fails=1 fail_timeout=30s;
                    keepalive 16;
                }
                server {
                    listen 127.0.0.1:\(port);
                    location / {
                        proxy_pass http://app;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_set_header Host $host;
                        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                        proxy_set_header X-Forwarded-Proto https;
                        proxy_buffering off;
                    }
                }
            }
            """
        try configuration.write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        proxy = Process()
        proxy.executableURL = URL(fileURLWithPath: nginxExecutable ?? "/usr/sbin/nginx")
        proxy.arguments = ["-p", directory, "-c", directory + "/nginx.conf", "-g", "daemon off;"]
        proxy.standardError = FileHandle.nullDevice
        try proxy.run()
        try Self.waitUntilAccepting(port: port, process: proxy)
    }

    deinit {
        proxy.terminate()
        _ = proxy.waitForExit()
        try? FileManager.default.removeItem(atPath: directory)
    }

    static func waitUntilAccepting(port: Int, process: Process) throws {
        let accepting = eventually(timeout: 10) { (try? RawClient(port: port)) != nil || !process.isRunning }
        guard process.isRunning else { throw NginxFailure(description: "nginx exited with status \(process.terminationStatus)") }
        guard accepting else { throw NginxFailure(description: "nginx is not accepting on port \(port)") }
    }

    func who(_ extraHeaders: String = "", client: RawClient? = nil) throws -> [String: Any] {
        let client = try client ?? RawClient(port: port)
        let response = try client.exchange("GET /who HTTP/1.1\r\nHost: example.test\r\n\(extraHeaders)\r\n")
        #expect(response.status == 200)
        return try #require(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    @Test func requestsAreBalancedOverTheTCPAndTheUnixInstance() throws {
        var answered: [String: Int] = [:]
        for _ in 0..<20 {
            let who = try who()
            answered["\(who["server_name"] ?? "?"):\(who["server_port"] ?? "?")", default: 0] += 1
        }
        #expect(answered.count == 2, "\(answered)")
        #expect(answered["localhost:80", default: 0] > 0)
        #expect(answered["127.0.0.1:\(tcpInstance.port)", default: 0] > 0)
    }

    @Test func theProxysForwardingHeadersAreTrusted() throws {
        for _ in 0..<4 {  // both instances
            let who = try who()
            #expect(who["remote_addr"] as? String == "127.0.0.1")
            #expect(who["url_scheme"] as? String == "https")
        }
        // What a client claims sits left of what nginx saw (127.0.0.1, trusted here too).
        let claimed = try who("X-Forwarded-For: 203.0.113.50\r\n")
        #expect(claimed["remote_addr"] as? String == "203.0.113.50")
    }

    @Test func aStreamedResponseArrivesUnbuffered() throws {
        let flag = directory + "/gate-open"
        let client = try RawClient(port: port)
        try client.send("GET /gate?\(flag) HTTP/1.1\r\nHost: h\r\n\r\n")
        // The first chunk arrives while the application still holds the second back: neither the
        // server nor the proxy may keep it until the response is complete.
        var received: [UInt8] = []
        while !String(decoding: received, as: UTF8.self).contains("first\n") {
            received += try client.receiveSome(timeout: 20)
        }
        #expect(!String(decoding: received, as: UTF8.self).contains("second"))
        #expect(FileManager.default.createFile(atPath: flag, contents: nil))
        while !String(decoding: received, as: UTF8.self).contains("second\n") {
            received += try client.receiveSome(timeout: 20)
        }
    }

    @Test func upstreamConnectionsAreKeptAliveAndReusedUnderLoad() throws {
        let wrk = Process()
        wrk.executableURL = URL(fileURLWithPath: "/usr/bin/wrk")
        wrk.arguments = ["-t1", "-c32", "-d3s", "http://127.0.0.1:\(port)/"]
        let output = Pipe()
        wrk.standardOutput = output
        try wrk.run()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        _ = wrk.waitForExit()
        let requests = Int(report.split(separator: "\n").first { $0.contains("requests in") }?.split(separator: " ").first ?? "") ?? 0
        #expect(requests > 1000, "\(report)")
        #expect(!report.contains("Socket errors"), "\(report)")
        #expect(!report.contains("Non-2xx"), "\(report)")
        // One client connection, many requests: nginx reuses its upstream connections, so the TCP
        // instance sees few distinct peer ports.
        let client = try RawClient(port: port)
        var ports = Set<String>()
        var tcpAnswers = 0
        for _ in 0..<40 {
            let who = try who(client: client)
            if let port = who["remote_port"] as? String {
                ports.insert(port)
                tcpAnswers += 1
            }
        }
        #expect(tcpAnswers >= 10)
        #expect(ports.count <= 4, "\(ports.count) upstream connections for \(tcpAnswers) requests")
    }

    @Test func aKilledInstanceIsRoutedAround() throws {
        unixInstance.signal(SIGKILL)
        _ = unixInstance.process.waitForExit()
        for _ in 0..<20 {
            let who = try who()
            #expect(who["server_port"] as? String == String(tcpInstance.port))
        }
    }
}
