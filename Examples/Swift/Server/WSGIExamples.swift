import ArgumentParser
import Glibc
import ExampleApps
import HTTPServerCore
import ServerCommand
import WSGIServer

/// `wsgi-examples NAME`: serves one of the example applications of `Examples/Swift/Apps`.
@main
struct WSGIExamples: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wsgi-examples",
        abstract: "Serve one of the example WSGI applications (Examples/Swift/Apps).",
        discussion: "Listens on 127.0.0.1:8051 unless --bind says otherwise. Every serving flag of wsgi-demo applies.",
        version: ServerVersion.current
    )

    @Argument(help: "hello, routing, events, upload or download.")
    var name: String

    @Option(help: "The directory the download example serves.")
    var directory = "."

    @OptionGroup var serving: ServingOptions

    static func main() { Glibc.exit(runCommand(self)) }

    func validate() throws {
        guard Examples.all[name] != nil || name == "download" else {
            throw ValidationError("unknown example '\(name)': hello, routing, events, upload or download")
        }
    }

    func run() throws {
        let app = try Examples.all[name] ?? Examples.download(directory: directory)
        let process = ServingProcess(command: "wsgi-examples", options: serving, defaultAddress: .tcp(host: "127.0.0.1", port: 8051))
        try process.run { configuration, role in
            let signals = StopSignals.block()
            let server = try WSGIHTTPServer(configuration: configuration, app: app)
            if role.announces { announce(server.listeningAddresses, secure: configuration.tls != nil) }
            signals.start(reload: { server.reloadTLS() }) { graceful in server.shutdown(graceful: graceful) }
            server.serveForever()
        }
    }
}
