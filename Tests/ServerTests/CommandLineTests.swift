import Foundation
import Glibc
import Testing
import TestSupport

/// The shared command line from outside, through `wsgi-demo`: a gunicorn config file, the
/// environment variable, flags winning over both, the access and error logs, pid file,
/// `--check-config`, `--version`.
@Suite struct CommandLineTests {
    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("swift-wsgi-\(UUID().uuidString.prefix(8))-\(name)").path
    }

    /// The text of `path` once it holds `count` lines (the access log is written within 50 ms of
    /// the response).
    static func lines(of path: String, count: Int) -> [String] {
        var lines: [String] = []
        _ = eventually {
            lines = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            return lines.count >= count
        }
        return lines
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServerProcess.binaryPath())
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let outputText = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.waitForExit() ?? -1, outputText, errorText)
    }

    /// The settings of gunicorn's own example configuration file, hooks included.
    static func gunicornExampleConfig(accessLog: String, pidFile: String) -> String {
        """
        # Server socket
        bind = '127.0.0.1:0'
        backlog = 2048

        # Worker processes
        workers = 2
        worker_class = 'sync'
        worker_connections = 1000
        timeout = 30
        keepalive = 2

        # Debugging, process naming, server mechanics
        spew = False
        daemon = False
        raw_env = ['DJANGO_SECRET_KEY=something', 'SPAM=eggs']
        pidfile = '\(pidFile)'
        umask = 0
        user = None
        group = None
        tmp_upload_dir = None
        proc_name = None

        # Logging
        errorlog = '-'
        loglevel = 'info'
        accesslog = '\(accessLog)'
        access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'

        # Server hooks
        def post_fork(server, worker):
            server.log.info("Worker spawned (pid: %s)", worker.pid)

        def pre_fork(server, worker):
            pass

        def when_ready(server):
            server.log.info("Server is ready. Spawning workers")

        def worker_int(worker):
            import threading, sys, traceback
            worker.log.info("worker received INT or QUIT signal")
        """
    }

    @Test func gunicornsExampleConfigFileRunsUnchanged() throws {
        let config = Self.temporaryPath("gunicorn.conf.py")
        let accessLog = Self.temporaryPath("access.log")
        let pidFile = Self.temporaryPath("server.pid")
        try Self.gunicornExampleConfig(accessLog: accessLog, pidFile: pidFile).write(toFile: config, atomically: true, encoding: .utf8)
        let server = try ServerProcess(["-c", config], captureLog: true)
        #expect(server.port > 0)
        #expect(try String(contentsOfFile: pidFile, encoding: .utf8) == "\(server.process.processIdentifier)\n")
        #expect(server.waitForLog("worker started", count: 2))
        let client = try RawClient(port: server.port)
        try client.send("GET /abcd?x=1 HTTP/1.1\r\nHost: h\r\nUser-Agent: tester\r\nReferer: http://r/\r\n\r\n")
        #expect(try client.readResponse().bodyText == "Hello")
        let line = try #require(Self.lines(of: accessLog, count: 1).first)
        let pattern = #/^127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "GET /abcd\?x=1 HTTP/1\.1" 200 5 "http://r/" "tester"$/#
        #expect(line.wholeMatch(of: pattern) != nil, "\(line)")
        // %(u)s: the user of Basic authentication (never the password).
        try client.send("GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Basic YWRhOnNlY3JldA==\r\n\r\n")
        _ = try client.readResponse()
        let second = try #require(Self.lines(of: accessLog, count: 2).dropFirst().first)
        #expect(second.hasPrefix("127.0.0.1 - ada ["), "\(second)")
        #expect(!second.contains("secret"))
        for ignored in ["worker_connections", "spew", "daemon", "raw_env", "user", "group", "tmp_upload_dir", "proc_name", "post_fork", "pre_fork", "when_ready", "worker_int"] {
            #expect(server.log.components(separatedBy: "ignoring gunicorn setting '\(ignored)'").count == 2, "\(ignored): \(server.log)")
        }
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
        #expect(!FileManager.default.fileExists(atPath: pidFile))
    }

    @Test func flagsWinOverTheEnvironmentWhichWinsOverTheConfigFile() throws {
        let config = Self.temporaryPath("layers.conf.py")
        try "bind = '127.0.0.1:1'\nworkers = 3\nloglevel = 'critical'\n".write(toFile: config, atomically: true, encoding: .utf8)
        // The file says port 1 (not ours to bind) and 3 workers; the environment replaces the
        // workers, the flag the address.
        let server = try ServerProcess(["-c", config, "--bind", "127.0.0.1:0"], environment: ["SWIFT_WSGI_CMD_ARGS": "--workers 1 --log-level info"], captureLog: true)
        #expect(server.port > 1)
        #expect(server.waitForLog("worker started"))
        #expect(try RawClient(port: server.port).exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").bodyText == "Index")
        #expect(!server.waitForLog("worker started", count: 2, timeout: 0.5))
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
    }

    @Test func accessLogLinesCannotBeForgedAndJSONIsValid() throws {
        let textLog = Self.temporaryPath("text.log")
        let format = #"%(h)s "%(r)s" %(s)s %(B)s %(D)s "%({x-note}i)s" %({content-type}o)s %(m)s %(U)s %(q)s %(H)s %(p)s %(L)s"#
        var server = try ServerProcess(["--access-logfile", textLog, "--access-logformat", format, "--bind", "127.0.0.1:0"])
        var client = try RawClient(port: server.port)
        // obs-text and a quote in a header value, a quote-looking byte sequence in the target.
        try client.send(Array("GET /p%22q?a=\"x HTTP/1.1\r\nHost: h\r\nX-Note: a\"b\\c ".utf8) + [0xE9, 0x0D, 0x0A, 0x0D, 0x0A])
        _ = try client.readResponse()
        let line = try #require(Self.lines(of: textLog, count: 1).first)
        let expected = #/^127\.0\.0\.1 "GET /p%22q\?a=\\x22x HTTP/1\.1" 200 5 \d+ "a\\x22b\\x5Cc \\xE9" text/plain GET /p%22q a=\\x22x HTTP/1\.1 <\d+> \d+\.\d{6}$/#
        #expect(line.wholeMatch(of: expected) != nil, "\(line)")
        server.signal(SIGTERM)
        _ = server.waitForExit()

        let jsonLog = Self.temporaryPath("json.log")
        server = try ServerProcess(["--access-logfile", jsonLog, "--access-logformat", "json", "--app", "echo", "--bind", "127.0.0.1:0"])
        client = try RawClient(port: server.port)
        try client.send(Array("POST /j HTTP/1.1\r\nHost: h\r\nUser-Agent: \"quoted\" \\ ".utf8) + [0xFF] + Array("\r\nContent-Length: 2\r\n\r\nhi".utf8))
        let response = try client.readResponse()
        let json = try #require(Self.lines(of: jsonLog, count: 1).first)
        let record = try #require(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(record["method"] as? String == "POST")
        #expect(record["target"] as? String == "/j")
        #expect(record["status"] as? Int == 200)
        #expect(record["bytes"] as? Int == response.body.count)
        #expect(record["user_agent"] as? String == "\"quoted\" \\ \u{FF}")
        #expect(record["referer"] is NSNull)
        #expect((record["duration_us"] as? Int ?? -1) >= 0)
        server.signal(SIGTERM)
        _ = server.waitForExit()
    }

    @Test func theErrorLogGoesToItsFile() throws {
        let errorLog = Self.temporaryPath("error.log")
        let server = try ServerProcess(["--error-logfile", errorLog, "--log-level", "INFO", "--bind", "127.0.0.1:0"])
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
        let text = try String(contentsOfFile: errorLog, encoding: .utf8)
        #expect(text.wholeMatch(of: #/(?s)\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}\] \[\d+\] \[INFO\] wsgi-demo: listening .*/#) != nil, "\(text)")
    }

    @Test func checkConfigValidatesWithoutServing() throws {
        var result = try Self.run(["--check-config", "--bind", "127.0.0.1:0"])
        #expect(result.status == 0)
        #expect(!result.output.contains("Listening"))
        result = try Self.run(["--check-config", "--access-logfile", "/no/such/dir/access.log"])
        #expect(result.status == 2)
        #expect(result.errors.contains("cannot open log file /no/such/dir/access.log"))
    }

    @Test func versionAndHelp() throws {
        let version = try Self.run(["--version"])
        #expect(version.status == 0)
        #expect(version.output.wholeMatch(of: #/\d+\.\d+\.\d+\n/#) != nil)
        let help = try Self.run(["--help"])
        #expect(help.status == 0)
        for text in ["Examples:", "--bind", "--access-logformat", "--forwarded-allow-ips", "--worker-class", "-c, --config"] {
            #expect(help.output.contains(text), "\(text)")
        }
    }

    @Test(arguments: [
        (["-k", "gevent"], "worker class 'gevent' is not supported"), (["--workers", "x"], "workers"), (["-c", "/no/such.conf.py"], "cannot read config file"),
        (["--log-level", "loud"], "unknown log level"),
    ])
    func badValuesAreOneLineAndExit2(arguments: [String], text: String) throws {
        let result = try Self.run(arguments)
        #expect(result.status == 2)
        #expect(result.errors.contains(text), "\(result.errors)")
    }

    @Test func aConfigFileThatFailsIsAUsageError() throws {
        let config = Self.temporaryPath("broken.conf.py")
        try "workers = 1 +\n".write(toFile: config, atomically: true, encoding: .utf8)
        let result = try Self.run(["-c", config])
        #expect(result.status == 2)
        #expect(result.errors.contains("SyntaxError"))
        #expect(result.errors.contains("failed to execute"))
    }
}
