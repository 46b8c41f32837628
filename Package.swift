// swift-tools-version:6.2
//
// The data path reads top to bottom through the targets:
//   CLibUV (libuv) -> UVLoop (the only code calling uv_*) -> HTTPServerCore (connections, framing,
//   timeouts; runtime-agnostic, drives applications through the `Responder` seam) -> WSGIGateway
//   (the server side of PEP 3333 for any runtime: CGI environ, the response protocol) -> WSGIServer
//   (the gateway for Swift applications: Environ, start_response, makeServer) or PythonHost (the
//   gateway for Python applications, on the CPython it runs in) -> the commands: wsgi-demo, and
//   PythonCommand (swift-wsgi), sharing their serving flags through ServerCommand; PythonExtension
//   is the Python package's extension module (`swift_wsgi._native`, python/swift_wsgi).
// TLS (the only code calling OpenSSL, through COpenSSL) turns ciphertext into plaintext and back
// in memory, for a transport under the connection.
// HTTP1Parser (pure, incremental) and SharedBytes (the bytestring type) depend on nothing; WSGI
// (the interface apps are written against) only on SharedBytes. Supervisor runs worker processes.
// Nothing links libpython but the test process and the Python fuzzer, which embed an interpreter:
// the extension module leaves every Py* symbol to the interpreter that imports it.
import PackageDescription

/// The embedded interpreter of the in-memory Python tests and the Python fuzzer: Debian's
/// libpython3.11.so (python3-dev), matching the headers `pkg-config python3` gives by default.
let embeddedPython: [LinkerSetting] = [.linkedLibrary("python3.11")]

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "swift-wsgi",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "WSGI", targets: ["WSGI"]),
        .library(name: "WSGIServer", targets: ["WSGIServer"]),
        .library(name: "HTTP1Parser", targets: ["HTTP1Parser"]),
        .library(name: "StaticFiles", targets: ["StaticFiles", "StaticContent"]),
        .executable(name: "wsgi-demo", targets: ["wsgi-demo"]),
        // `swift_wsgi._native`, the Python package's extension module (libswift-wsgi-native.so,
        // renamed by the package's build backend, python/build).
        .library(name: "swift-wsgi-native", type: .dynamic, targets: ["PythonExtension"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibUV",
            pkgConfig: "libuv",
            providers: [.apt(["libuv1-dev"])]
        ),
        // OpenSSL 3 (Debian libssl-dev), called only by TLS: sessions over memory BIOs, no socket.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "TLS", dependencies: ["COpenSSL"], swiftSettings: strict),
        // nghttp2 (Debian libnghttp2-dev), called only by HTTP2: HTTP/2's frames, HPACK and stream
        // states, driven from memory (no socket); the core decides what the streams do.
        .systemLibrary(
            name: "CNGHTTP2",
            pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]
        ),
        .target(name: "HTTP2", dependencies: ["CNGHTTP2"], swiftSettings: strict),
        .target(name: "SharedBytes", swiftSettings: strict),
        .target(name: "WSGI", dependencies: ["SharedBytes"], swiftSettings: strict),
        .target(name: "HTTP1Parser", swiftSettings: strict),
        .target(
            name: "UVLoop",
            dependencies: ["CLibUV", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "HTTPServerCore",
            dependencies: [
                "UVLoop", "HTTP1Parser", "SharedBytes", "TLS", "HTTP2", "StaticContent",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "WSGIGateway",
            dependencies: ["WSGI", "HTTPServerCore", "HTTP1Parser", "SharedBytes"],
            swiftSettings: strict
        ),
        .target(
            name: "WSGIServer",
            dependencies: [
                "WSGI", "WSGIGateway", "HTTPServerCore", "HTTP1Parser", "UVLoop",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Supervisor",
            dependencies: [
                "UVLoop", "HTTPServerCore", .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .target(name: "DemoApps", dependencies: ["WSGI"], swiftSettings: strict),
        // A directory served as static files: the decisions of a file response (validators,
        // ranges, precompressed siblings, cache policy), for the server's mounts and for
        // StaticFiles, the WSGI application Swift apps mount.
        .target(name: "StaticContent", swiftSettings: strict),
        .target(name: "StaticFiles", dependencies: ["WSGI", "StaticContent"], swiftSettings: strict),
        // CPython's C API (Debian python3-dev; pkg-config python3 gives the headers, the
        // executable links the interpreter: `staticPython`) and the little C that Swift cannot
        // express: macro wrappers and the `_swiftwsgi` extension module's types.
        .systemLibrary(
            name: "CPython",
            pkgConfig: "python3",
            providers: [.apt(["python3-dev"])]
        ),
        .target(name: "CPythonShim", dependencies: ["CPython"]),
        .target(
            name: "PythonHost",
            dependencies: [
                "CPython", "CPythonShim", "WSGIGateway", "WSGI", "HTTPServerCore", "HTTP1Parser", "SharedBytes",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // What both commands share: the serving flags, signals, the listening line, worker roles.
        .target(
            name: "ServerCommand",
            dependencies: [
                "HTTPServerCore", "Supervisor", "UVLoop", "WSGIServer", "TLS", "StaticContent",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "wsgi-demo",
            dependencies: [
                "WSGIServer", "DemoApps", "ServerCommand", "HTTPServerCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // The swift-wsgi command (gunicorn's command line), run inside Python by the extension module.
        .target(
            name: "PythonCommand",
            dependencies: [
                "PythonHost", "ServerCommand", "HTTPServerCore", "Supervisor", "UVLoop",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // The extension module's functions: the command, and make_server's server.
        .target(
            name: "PythonExtension",
            dependencies: [
                "PythonCommand", "PythonHost", "ServerCommand", "HTTPServerCore", "UVLoop", "CPython", "CPythonShim",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // The examples: small applications (Examples/Swift/Apps) and the command serving them.
        .target(name: "ExampleApps", dependencies: ["WSGI", "StaticFiles"], path: "Examples/Swift/Apps", swiftSettings: strict),
        .executableTarget(
            name: "wsgi-examples",
            dependencies: ["ExampleApps", "ServerCommand", "WSGIServer", "HTTPServerCore", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/Swift/Server",
            swiftSettings: strict
        ),
        // Prints where the test process crashed (frames through glibc's abort), before the Swift
        // backtracer's report; linked into the test process through TestSupport.
        .target(name: "CrashReport", path: "Tests/CrashReport"),
        // Shared by the live test suites: in-process server, raw socket client, demo child process.
        .target(
            name: "TestSupport",
            dependencies: ["WSGIServer", "TLS", "CrashReport", .product(name: "Logging", package: "swift-log")],
            path: "Tests/TestSupport",
            swiftSettings: strict
        ),
        .testTarget(name: "WSGITests", dependencies: ["WSGI", "DemoApps"], swiftSettings: strict),
        .testTarget(name: "TLSTests", dependencies: ["TLS", "TestSupport"], swiftSettings: strict),
        // The parser's Markdown fixtures (in Tests/HTTP1ParserTests/Fixtures), loaded for its tests
        // and for the parser fuzzer's seeds.
        .target(name: "ParserFixtures", dependencies: ["HTTP1Parser"], path: "Tests/ParserFixtures", swiftSettings: strict),
        .testTarget(
            name: "HTTP1ParserTests",
            dependencies: ["HTTP1Parser", "ParserFixtures"],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        // Writes the fixtures as the parser fuzzer's seeds (Fuzz/README.md).
        .executableTarget(name: "parser-seeds", dependencies: ["ParserFixtures", "HTTP1Parser"], path: "Fuzz/ParserSeeds", swiftSettings: strict),
        .testTarget(
            name: "WSGIGatewayTests",
            dependencies: ["WSGIGateway", "HTTPServerCore", "HTTP1Parser", "WSGI"],
            swiftSettings: strict
        ),
        // The in-memory tier: a real Connection (parser, response protocol, framing) driven from
        // bytes through a transport in memory, with the Swift gateway behind it; no sockets. The
        // harness is shared by the tests and the whole-connection fuzzer (debug builds only).
        .target(
            name: "ConnectionHarness",
            dependencies: ["HTTPServerCore", "WSGIServer", "WSGI", "UVLoop", "TestSupport", .product(name: "Logging", package: "swift-log")],
            path: "Tests/ConnectionHarness",
            swiftSettings: strict
        ),
        .testTarget(
            name: "ConnectionTests",
            dependencies: ["ConnectionHarness", "HTTPServerCore", "WSGIServer", "WSGI", "UVLoop", "TestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // libFuzzer over whole connections, with the Swift gateway and with the Python host
        // (Fuzz/run.sh builds them with the fuzzer sanitizer); a plain build replays input files
        // given as arguments.
        .executableTarget(
            name: "connection-fuzzer",
            dependencies: ["ConnectionHarness", "HTTPServerCore", "WSGI", "TestSupport"],
            path: "Fuzz/ConnectionFuzzer",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "python-fuzzer",
            dependencies: ["ConnectionHarness", "HTTPServerCore", "PythonHost", "CPython", "TestSupport", .product(name: "Logging", package: "swift-log")],
            path: "Fuzz/PythonFuzzer",
            exclude: ["fuzz_app.py"],
            swiftSettings: strict,
            linkerSettings: embeddedPython
        ),
        // The Python host in the in-memory tier: the real Connection with the Python gateway behind
        // it, on an interpreter embedded in the test process (Debian's libpython3.11.so), with
        // Python applications as fixtures; no sockets, no processes.
        .testTarget(
            name: "PythonGatewayTests",
            dependencies: ["ConnectionHarness", "PythonHost", "CPython", "CPythonShim", "HTTPServerCore", "TestSupport", .product(name: "Logging", package: "swift-log")],
            exclude: ["Fixtures"],
            swiftSettings: strict,
            linkerSettings: embeddedPython
        ),
        // The Python host through the real `swift-wsgi` binary, with Python applications as fixtures.
        .testTarget(
            name: "PythonHostTests",
            dependencies: ["TestSupport", "TLS"],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        // The command line's sources and gunicorn's settings, parsed without running a server.
        .testTarget(
            name: "ServerCommandTests",
            dependencies: ["ServerCommand", "HTTPServerCore", "Supervisor", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),
        // swift-wsgi behind a real nginx (make test-nginx; skipped unless SWIFT_WSGI_NGINX is set).
        .testTarget(name: "NginxTests", dependencies: ["TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "UVLoopTests",
            dependencies: ["UVLoop", "CLibUV"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "WSGIServer", "DemoApps", "WSGI", "TestSupport", "StaticFiles", "StaticContent", "ExampleApps", "TLS", "HTTPServerCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ConformanceTests",
            dependencies: ["WSGIServer", "DemoApps", "WSGI", "TestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
    ]
)
