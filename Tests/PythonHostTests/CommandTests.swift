import Foundation
import Glibc
import Testing
import TestSupport

/// The `swift-wsgi` command as gunicorn users run it: how it finds the application, how it fails,
/// which interpreter and packages it runs with, and how it stops.
@Suite struct CommandTests {
    // MARK: Finding the application

    @Test func theCallableDefaultsToApplication() throws {
        let server = try PythonFixtures.serve(["web_application"])
        #expect(try get(server, "/").bodyText == "Index")
    }

    @Test func aWSGIFileIsLoadedAsUWSGIDoes() throws {
        let server = try PythonFixtures.serve(["--wsgi-file", "web_application.py"])
        #expect(try get(server, "/x").bodyText == "Hello")
        let named = try PythonFixtures.serve(["--wsgi-file", "echo_app.py", "--callable", "app"])
        #expect(try get(named, "/status/201").status == 201)
    }

    @Test func aFactoryCallWithLiteralArgumentsIsMade() throws {
        let server = try PythonFixtures.serve(["validated:wrap(\"wsgi_checks:application\")"])
        #expect(try get(server, "/").bodyText == "checks")
    }

    @Test func chdirAndPythonpathDecideWhereModulesAreFound() throws {
        let fixtures = PythonFixtures.directory
        let elsewhere = try ServerProcess(["--chdir", fixtures + "/mysite", "--pythonpath", fixtures, "web_application", "--bind", "127.0.0.1:0"], binary: "swift-wsgi", directory: "/", captureLog: true)
        #expect(try get(elsewhere, "/").bodyText == "Index")
        let checks = try ServerProcess(["--chdir", fixtures, "wsgi_checks", "--bind", "127.0.0.1:0"], binary: "swift-wsgi", directory: "/", captureLog: true)
        let python = try jsonObject(try get(checks, "/python"))
        #expect(python["path0"] as? String == fixtures)
        #expect(python["main_thread"] as? Bool == true)
    }

    // MARK: Failing to load: one line, exit 3

    @Test(arguments: [
        (["no_such_module:application"], "No module named 'no_such_module'"),
        (["web_application:no_such_callable"], "Failed to find attribute 'no_such_callable' in 'web_application'."),
        (["validated:warnings"], "is not callable"),
        (["web_application:application("], "Failed to parse"),
        (["validated:wrap('no_such_module:app')"], "Error calling the application factory"),
        (["--wsgi-file", "missing.py"], "No such file: 'missing.py'."),
    ])
    func aBadApplicationExitsWith3AndOneLine(arguments: [String], message: String) throws {
        let (status, errors) = try PythonFixtures.run(arguments + ["--bind", "127.0.0.1:0"])
        #expect(status == 3)
        let last = errors.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("Error: "), "\(errors)")
        #expect(last.contains(message), "\(errors)")
    }

    @Test func anImportErrorInsideTheModuleShowsItsTraceback() throws {
        let directory = temporaryPath("broken")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "import json\nimport no_such_dependency\n".write(toFile: directory + "/broken_app.py", atomically: true, encoding: .utf8)
        let (status, errors) = try PythonFixtures.run(["--pythonpath", directory, "broken_app", "--bind", "127.0.0.1:0"])
        #expect(status == 3)
        #expect(errors.contains("Traceback (most recent call last)"))
        #expect(errors.contains("broken_app.py\", line 2"))
        #expect(errors.split(separator: "\n").last?.contains("Error while importing 'broken_app': ModuleNotFoundError") == true, "\(errors)")
    }

    @Test(arguments: [
        [String](),
        ["web_application", "--wsgi-file", "web_application.py"],
        [":application"],
        ["web_application", "--threads", "-1"],
        ["web_application", "--no-such-flag"],
    ])
    func usageErrorsExitWith2(arguments: [String]) throws {
        let (status, errors) = try PythonFixtures.run(arguments)
        #expect(status == 2, "\(errors)")
        #expect(errors.contains("Usage:") || errors.contains("Error:"), "\(errors)")
    }

    @Test func workersThatCannotLoadTheApplicationStopTheMasterWith3() throws {
        let (status, errors) = try PythonFixtures.run(["no_such_module:app", "--workers", "2", "--bind", "127.0.0.1:0"])
        #expect(status == 3)
        #expect(errors.contains("No module named 'no_such_module'"))
        #expect(errors.contains("worker failed to boot"))
    }

    // MARK: gunicorn's settings

    @Test func checkConfigImportsTheApplicationWithoutServing() throws {
        var result = try PythonFixtures.run(["--check-config", "web_application:application"])
        #expect(result.status == 0, "\(result.errors)")
        result = try PythonFixtures.run(["--check-config", "web_application:no_such_callable"])
        #expect(result.status == 3)
        #expect(result.errors.contains("no_such_callable"))
    }

    @Test func aConfigFileNamesTheApplicationAndItsWorkerClass() throws {
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("swift-wsgi-\(UUID().uuidString.prefix(8)).conf.py").path
        try """
            wsgi_app = "wsgi_checks:application"
            worker_class = "gthread"
            threads = 2
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let server = try PythonFixtures.serve(["-c", config])
        let environ = try jsonObject(try get(server, "/environ"))
        #expect(environ["wsgi.multithread"] as? Bool == true)
        // A positional application wins over the file's.
        let named = try PythonFixtures.serve(["-c", config, "web_application"])
        #expect(try get(named, "/").bodyText == "Index")
    }

    @Test func theSyncWorkerClassRunsOnTheLoop() throws {
        let server = try PythonFixtures.serve(["-k", "sync", "wsgi_checks"])
        #expect(try jsonObject(try get(server, "/environ"))["wsgi.multithread"] as? Bool == false)
    }

    // MARK: The interpreter

    /// The server runs in the interpreter of the venv its wheel is installed in: that venv's
    /// prefix, executable, version and packages, with nothing naming it (`VIRTUAL_ENV` unset; a
    /// `--venv` naming it changes nothing).
    @Test(arguments: [[String](), ["--venv", PythonFixtures.venv]])
    func itIsTheInterpreterOfItsOwnVenv(extra: [String]) throws {
        try #require(PythonFixtures.venvExists, "no test venv at \(PythonFixtures.venv): run `make wheel-venvs`")
        let venv = PythonFixtures.venv
        let server = try PythonFixtures.serve(extra + ["wsgi_checks"], environment: ["VIRTUAL_ENV": ""])
        let python = try jsonObject(try get(server, "/python"))
        #expect(python["prefix"] as? String == venv)
        #expect(python["executable"] as? String == venv + "/bin/python")
        #expect((python["version"] as? String)?.hasPrefix(PythonFixtures.venvMinor + ".") == true, "\(python)")
    }

    @Test func cExtensionModulesLoad() throws {
        try #require(PythonFixtures.venvExists, "no test venv at \(PythonFixtures.venv): run `make wheel-venvs`")
        let server = try PythonFixtures.serve(["extensions_app"])
        #expect(try get(server, "/").bodyText == "&lt;ok&gt; 3.0")
    }

    @Test func aDirectoryThatIsNotAVenvIsAUsageError() throws {
        let (status, errors) = try PythonFixtures.run(["--venv", "/tmp", "web_application", "--bind", "127.0.0.1:0"])
        #expect(status == 2)
        #expect(errors.contains("/tmp is not a virtual environment"), "\(errors)")
    }

    @Test func aVenvOfAnotherPythonIsAUsageError() throws {
        let directory = temporaryPath("venv")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "home = /usr/bin\nversion = 2.7.18\n".write(toFile: directory + "/pyvenv.cfg", atomically: true, encoding: .utf8)
        let (status, errors) = try PythonFixtures.run(["--venv", directory, "web_application", "--bind", "127.0.0.1:0"])
        #expect(status == 2)
        #expect(errors.contains("is for Python 2.7.18"), "\(errors)")
    }

    // MARK: Stopping

    @Test func sigtermDrainsAnInFlightRequestAndExits0() throws {
        let server = try PythonFixtures.serve(["wsgi_checks"])
        let (client, mark) = try requestMarking(server, "/sleep?seconds=0.5")
        defer { unlink(mark) }
        // The request is in the application (the loop thread sleeps in Python) when the signal comes.
        #expect(eventually(timeout: 20) { marked(mark) })
        server.signal(SIGTERM)
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.bodyText == "slept")
        #expect(server.waitForExit() == 0)
    }

    @Test func sigintStopsPythonCodeThatNeverReturns() throws {
        let server = try PythonFixtures.serve(["wsgi_checks"])
        let (_, mark) = try requestMarking(server, "/spin")
        defer { unlink(mark) }
        #expect(eventually(timeout: 20) { marked(mark) })
        server.signal(SIGINT)
        #expect(server.waitForExit(timeout: 20) == 0)
        #expect(server.log.contains("KeyboardInterrupt"), "\(server.log)")
    }
}
