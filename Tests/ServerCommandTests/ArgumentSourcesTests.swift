import ArgumentParser
import Foundation
import Glibc
import HTTPServerCore
import Testing
@testable import ServerCommand

/// How the command line is put together from its three sources, and what each setting parses to.
@Suite struct ArgumentSourcesTests {
    @Test func shellSplittingAsShlex() throws {
        #expect(try ArgumentSources.split("--workers 2  --bind 127.0.0.1:80") == ["--workers", "2", "--bind", "127.0.0.1:80"])
        #expect(try ArgumentSources.split(#"--access-logformat '%(h)s "%(r)s"' -b"x y""#) == ["--access-logformat", #"%(h)s "%(r)s""#, "-bx y"])
        #expect(try ArgumentSources.split(#"a\ b "c\"d" ''"#) == ["a b", #"c"d"#, ""])
        #expect(throws: CommandLineError.self) { try ArgumentSources.split("--bind 'open") }
    }

    /// The merging reads options without the parser's definition, so it lists the options that take
    /// no value: every flag of the serving options must be there, or its next argument is taken as
    /// its value (`--request-start-header app:x` lost the application).
    @Test func everyServingFlagIsKnownToTakeNoValue() throws {
        struct Probe: ParsableCommand {
            @OptionGroup var serving: ServingOptions
        }
        var dump = ""
        do {
            _ = try Probe.parseAsRoot(["--experimental-dump-help"])
        } catch {
            dump = Probe.fullMessage(for: error)
        }
        let root = try JSONSerialization.jsonObject(with: Data(dump.utf8)) as? [String: Any]
        let arguments = (root?["command"] as? [String: Any])?["arguments"] as? [[String: Any]] ?? []
        let flags = arguments.filter { $0["kind"] as? String == "flag" }.flatMap { argument in
            (argument["names"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "long" }.compactMap { $0["name"] as? String }.map { "--" + $0 }
        }
        #expect(flags.count >= 3, "read the flags from the parser's definition: \(dump.prefix(200))")
        for flag in flags where flag != "--help" {
            #expect(ArgumentSources.flags.contains(flag), "\(flag) is a flag the merging does not know")
        }
    }

    @Test func laterSourcesReplaceASettingInEarlierOnes() {
        let environment = ArgumentSources.Parsed(["-w", "4", "--bind", "127.0.0.1:1", "--bind", "127.0.0.1:2", "--threads=3", "app:one"])
        let given = ArgumentSources.Parsed(["--workers=2", "-b127.0.0.1:9", "app:two"])
        #expect(environment.options.map(\.name) == ["--workers", "--bind", "--bind", "--threads"])
        #expect(environment.positionals == ["app:one"])
        #expect(given.options.map(\.name) == ["--workers", "--bind"])
        #expect(given.value(of: "--bind") == "127.0.0.1:9")
        #expect(given.value(of: "--workers") == "2")
        #expect(ArgumentSources.Parsed(["--check-config", "app:x"]).positionals == ["app:x"])
        #expect(ArgumentSources.Parsed(["--", "-odd-module:app"]).positionals == ["-odd-module:app"])
    }

    @Test func resolvingKeepsFlagsOverTheEnvironment() throws {
        setenv(ArgumentSources.environmentVariable, "-w 4 --threads 3 --bind 127.0.0.1:1 app:env", 1)
        defer { unsetenv(ArgumentSources.environmentVariable) }
        let merged = try ArgumentSources.resolve(["-b", "127.0.0.1:9", "app:flag"], command: "test", takesApplication: true)
        #expect(merged == ["-w", "4", "--threads", "3", "-b", "127.0.0.1:9", "app:flag"])
        let withoutPositional = try ArgumentSources.resolve(["--threads", "1"], command: "test", takesApplication: true)
        #expect(withoutPositional == ["-w", "4", "--bind", "127.0.0.1:1", "app:env", "--threads", "1"])
    }

    @Test func gunicornSettingsBecomeArguments() {
        func translate(_ name: String, _ value: GunicornConfig.Setting.Value, application: Bool = true) -> GunicornConfig.Translation {
            GunicornConfig.translate(GunicornConfig.Setting(name: name, value: value), takesApplication: application)
        }
        #expect(translate("bind", .list(["127.0.0.1:8000", "unix:/run/a.sock"])) == .arguments(["--bind", "127.0.0.1:8000", "--bind", "unix:/run/a.sock"]))
        #expect(translate("bind", .scalar("0.0.0.0:80")) == .arguments(["--bind", "0.0.0.0:80"]))
        #expect(translate("workers", .scalar("4")) == .arguments(["--workers", "4"]))
        #expect(translate("keepalive", .scalar("2")) == .arguments(["--keep-alive", "2"]))
        #expect(translate("accesslog", .scalar("-")) == .arguments(["--access-logfile", "-"]))
        #expect(translate("accesslog", .none) == .arguments([]))
        #expect(translate("umask", .scalar("18")) == .arguments(["--umask", "0o22"]))
        #expect(translate("forwarded_allow_ips", .list(["10.0.0.1", "10.0.0.2"])) == .arguments(["--forwarded-allow-ips", "10.0.0.1,10.0.0.2"]))
        #expect(translate("reload", .bool(true)) == .arguments(["--reload"]))
        #expect(translate("reload", .bool(false)) == .arguments([]))
        #expect(translate("wsgi_app", .scalar("mysite.wsgi:application")) == .arguments(["mysite.wsgi:application"]))
        #expect(translate("pythonpath", .scalar("/a,/b")) == .arguments(["--pythonpath", "/a", "--pythonpath", "/b"]))
        #expect(translate("wsgi_app", .scalar("x:y"), application: false) == .ignored("this command serves no Python application"))
        #expect(translate("daemon", .bool(false)) == .ignored("not supported"))
        #expect(translate("post_fork", .callable) == .arguments([]), "swift-wsgi runs it")
        #expect(translate("post_fork", .callable, application: false) == .ignored("server hooks run in swift-wsgi only"))
        #expect(translate("worker_abort", .callable) == .ignored("never called: a worker past --timeout is killed with SIGKILL, which no hook survives"))
        #expect(translate("workers", .other("{}")) == .ignored("unexpected value"))
        #expect(translate("my_helper_value", .scalar("3")) == .unknown)
    }

    @Test(arguments: [
        ("127.0.0.1:8051", ListenAddress.tcp(host: "127.0.0.1", port: 8051)),
        (":80", .tcp(host: "0.0.0.0", port: 80)),
        ("localhost", .tcp(host: "localhost", port: 8000)),
        ("[::1]:9000", .tcp(host: "::1", port: 9000)),
        ("[::]", .tcp(host: "::", port: 8000)),
        ("unix:/run/app.sock", .unix(path: "/run/app.sock")),
        ("fd://3", .descriptor(3)),
    ])
    func bindSpellings(text: String, address: ListenAddress) {
        #expect(ListenAddress(parsing: text) == address)
    }

    @Test func optionsParseWithGunicornsNames() throws {
        let options = try ServingOptions.parse([
            "-b", "127.0.0.1:1", "-b", "unix:/tmp/x.sock", "-w", "3", "-k", "gthread", "-t", "9", "--keep-alive", "5",
            "--access-logfile", "-", "--log-level", "WARNING", "--umask", "007", "--forwarded-allow-ips", "*",
        ])
        #expect(options.listening.bind == [.tcp(host: "127.0.0.1", port: 1), .unix(path: "/tmp/x.sock")])
        #expect(options.concurrency.workers == 3)
        #expect(options.concurrency.effectiveThreads == 1)
        #expect(options.limits.timeout == 9)
        #expect(options.logging.level == .warning)
        #expect(options.listening.umask.value == 0o7)
        #expect(options.listening.forwardedAllowIPs.trusts("203.0.113.1"))
        let configuration = try options.serverConfiguration(listeners: options.listening.bind, label: "t", accessLog: nil)
        #expect(configuration.threads == 1)
        #expect(configuration.timeouts.keepAliveIdle == .seconds(5))
    }

    @Test(arguments: [["-k", "gevent"], ["--log-level", "loud"], ["--umask", "999"], ["--bind", "::1:80"], ["--forwarded-allow-ips", "nobody"], ["--backlog", "0"]])
    func badValuesAreRefused(arguments: [String]) {
        #expect(throws: (any Error).self) { try ServingOptions.parse(arguments) }
    }
}
