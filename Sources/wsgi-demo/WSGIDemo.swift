import ArgumentParser
import Glibc
import HTTPServerCore
import DemoApps
import ServerCommand
import WSGIServer

/// `wsgi-demo`: serves one of the bundled WSGI applications.
@main
struct WSGIDemo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wsgi-demo",
        abstract: "Serve a bundled WSGI application over HTTP/1.1 on libuv.",
        discussion: """
            Listens on 127.0.0.1:8051 unless --bind says otherwise, and prints \
            "Listening on http://HOST:PORT" once bound. SIGTERM drains in-flight requests and \
            exits 0; SIGINT, or a second SIGTERM, stops at once (exit 0). With --workers, SIGHUP \
            starts new workers and drains the old ones. Exit status 2 means a usage error, 70 that \
            an event loop did not close cleanly (a bug, logged).

            Examples:
              wsgi-demo
              wsgi-demo --app echo -b 127.0.0.1:8000 -b unix:/tmp/echo.sock --access-logfile -
              wsgi-demo -w 2 --threads 4 --app stream
            """,
        version: ServerVersion.current
    )

    @Option(help: "Bundled application: \(DemoApps.names.joined(separator: ", ")).")
    var app = "hello"

    @OptionGroup var serving: ServingOptions

    static func main() { Glibc.exit(runCommand(self)) }

    func validate() throws {
        guard DemoApps.application(named: app) != nil else {
            throw ValidationError("unknown app '\(app)'; bundled apps: \(DemoApps.names.joined(separator: ", "))")
        }
    }

    func run() throws {
        let process = ServingProcess(command: "wsgi-demo", options: serving, defaultAddress: .tcp(host: "127.0.0.1", port: 8051))
        try process.run { configuration, role in
            // Before any server thread exists, so that only the signal thread ever receives them.
            let signals = StopSignals.block()
            let server = try WSGIHTTPServer(configuration: configuration, app: DemoApps.application(named: app)!)
            if role.announces { announce(server.listeningAddresses, secure: configuration.tls != nil) }
            signals.start(reload: { server.reloadTLS() }) { graceful in server.shutdown(graceful: graceful) }
            server.serveForever()
            // A handle left open is a bug (already logged): fail the exit status so it is noticed.
            if !server.closedCleanly { throw ExitCode(70) }
        }
    }
}
