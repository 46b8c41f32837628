import Foundation
import Glibc
import Testing
import TestSupport

/// The Python package as users get it: the wheel installed in a fresh venv of this minor
/// (`make wheel-venvs`), its Python API, its entry points, and what it needs at run time: nothing
/// from the Swift toolchain.
@Suite struct PackageTests {
    /// `python ARGUMENTS` of the test venv in the fixtures directory: its exit status and output.
    static func python(_ arguments: [String], timeout: Double = 60, environment: [String: String] = [:]) throws -> (status: Int32?, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PythonFixtures.venv + "/bin/python")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: PythonFixtures.directory)
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let status = process.waitForExit(timeout: timeout)
        if status == nil { kill(process.processIdentifier, SIGKILL) }
        return (status, text)
    }

    @Test func theInstalledWheelIsManylinuxAndCarriesTheSwiftRuntime() throws {
        let (status, output) = try Self.python(["-c", """
            import importlib.metadata as m, pathlib, swift_wsgi
            d = m.distribution("swift-wsgi")
            print(d.read_text("WHEEL"))
            print(sorted(p.name for p in pathlib.Path(swift_wsgi.__file__).parent.parent.joinpath("swift_wsgi.libs").iterdir()))
            """])
        #expect(status == 0, "\(output)")
        #expect(output.contains("manylinux_2_"), "\(output)")
        #expect(output.contains("cp\(PythonFixtures.venvMinor.replacingOccurrences(of: ".", with: ""))"), "\(output)")
        #expect(output.contains("libswiftCore-"), "\(output)")
    }

    @Test func thePythonAPI() throws {
        let (status, output) = try Self.python(["package_checks.py"])
        #expect(status == 0, "\(output)")
        for check in ["make_server threads=0", "make_server threads=2", "serve_forever in a thread", "context manager", "option errors", "serve once", "run until SIGTERM", "version "] {
            #expect(output.contains("ok \(check)"), "\(check): \(output)")
        }
    }

    @Test func ctrlCInServeForeverRaisesKeyboardInterruptInTheCaller() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PythonFixtures.venv + "/bin/python")
        process.arguments = ["-c", """
            import sys; from swift_wsgi import make_server; from web_application import application
            server = make_server("127.0.0.1", 0, application)
            print(server.server_address[1], flush=True)
            try:
                server.serve_forever()
            except KeyboardInterrupt:
                print("KeyboardInterrupt", flush=True)
                sys.exit(7)
            """]
        process.currentDirectoryURL = URL(fileURLWithPath: PythonFixtures.directory)
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let port = Int(String(decoding: output.fileHandleForReading.availableData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(try RawClient(port: port).exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n").bodyText == "Index")
        kill(process.processIdentifier, SIGINT)
        #expect(process.waitForExit(timeout: 20) == 7)
        #expect(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("KeyboardInterrupt"))
    }

    @Test(arguments: [["-m", "swift_wsgi"], ["CONSOLE"]])
    func theCommandRunsAsModuleAndConsoleScript(entry: [String]) throws {
        let binary = entry == ["CONSOLE"] ? "swift-wsgi" : nil
        let server = try ServerProcess(
            (binary == nil ? entry : []) + ["web_application:application", "--bind", "127.0.0.1:0"],
            binary: binary ?? "python", executable: binary == nil ? PythonFixtures.venv + "/bin/python" : nil,
            directory: PythonFixtures.directory, captureLog: true
        )
        #expect(try get(server, "/").bodyText == "Index")
        #expect(try get(server, "/abcd").bodyText == "Hello")
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
    }

    @Test func serveRunsTheCommandWithWorkersFromPython() throws {
        let server = try ServerProcess(
            ["-c", "import sys, swift_wsgi; sys.exit(swift_wsgi.serve('web_application:application', workers=2, bind='127.0.0.1:0'))"],
            binary: "python", executable: PythonFixtures.venv + "/bin/python", directory: PythonFixtures.directory, captureLog: true
        )
        #expect(try get(server, "/").bodyText == "Index")
        #expect(server.waitForLog("worker started", count: 2))
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0, "\(server.log)")
    }

    /// With the toolchain's runtime libraries out of sight (an empty directory mounted over their
    /// folder, in a mount namespace of this test's own: root, as CI runs), the command and
    /// make_server still serve: everything they need is in the wheel.
    @Test func itServesWithTheSwiftToolchainHidden() throws {
        let runtime = try Self.swiftRuntimeFolder()
        let empty = temporaryPath("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let venv = PythonFixtures.venv
        let script = """
            set -e
            mount --bind \(empty) \(runtime)
            test -z "$(ls \(runtime))"
            \(venv)/bin/swift-wsgi web_application:application --bind 127.0.0.1:0 > hidden.out 2> hidden.err &
            server=$!
            for i in $(seq 1 200); do grep -q Listening hidden.out 2>/dev/null && break; sleep 0.05; done
            port=$(sed -n 's/.*:\\([0-9]*\\)$/\\1/p' hidden.out)
            \(venv)/bin/python -c "import urllib.request as u; print(u.urlopen('http://127.0.0.1:$port/').read().decode())"
            kill -TERM $server; wait $server
            \(venv)/bin/python -c "
            import threading, urllib.request as u
            from swift_wsgi import make_server; from web_application import application
            s = make_server('127.0.0.1', 0, application)
            def c():
                print(u.urlopen('http://127.0.0.1:%d/x' % s.server_address[1]).read().decode()); s.shutdown()
            threading.Thread(target=c).start(); s.serve_forever()"
            """
        let directory = temporaryPath("hidden")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.copyItem(atPath: PythonFixtures.directory + "/web_application.py", toPath: directory + "/web_application.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["--mount", "--propagation", "private", "/bin/sh", "-c", script]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.waitForExit(timeout: 60) == 0, "\(text)")
        #expect(text.split(separator: "\n").filter { !$0.hasPrefix("[") } == ["Index", "Hello"], "\(text)")
    }

    /// The folder of the toolchain's runtime libraries (libswiftCore.so): where `swift` is.
    static func swiftRuntimeFolder() throws -> String {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            guard let resolved = realpath("\(directory)/swift", nil) else { continue }
            defer { free(resolved) }
            let binary = URL(fileURLWithPath: String(cString: resolved))
            let folder = binary.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("lib/swift/linux").path
            if FileManager.default.fileExists(atPath: folder + "/libswiftCore.so") { return folder }
        }
        if FileManager.default.fileExists(atPath: "/opt/swift/usr/lib/swift/linux/libswiftCore.so") { return "/opt/swift/usr/lib/swift/linux" }
        throw RawClient.Failure("no Swift runtime folder found")
    }
}
