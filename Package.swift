// swift-tools-version:6.2
//
// The data path reads top to bottom through the targets:
//   CLibUV (libuv) -> UVLoop (the only code calling uv_*) -> HTTPServerCore (connections, framing,
//   timeouts; runtime-agnostic, drives applications through the `Responder` seam) -> WSGIGateway
//   (the server side of PEP 3333 for any runtime: CGI environ, the response protocol) -> WSGIServer
//   (the gateway for Swift applications: Environ, start_response, makeServer) -> wsgi-demo (the CLI).
// HTTP1Parser (pure, incremental) and SharedBytes (the bytestring type) depend on nothing; WSGI
// (the interface apps are written against) only on SharedBytes. Supervisor runs worker processes.
import PackageDescription

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
        .executable(name: "wsgi-demo", targets: ["wsgi-demo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibUV",
            pkgConfig: "libuv",
            providers: [.apt(["libuv1-dev"])]
        ),
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
                "UVLoop", "HTTP1Parser", "SharedBytes",
                .product(name: "Logging", package: "swift-log"),
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
                "WSGI", "WSGIGateway", "HTTPServerCore", "HTTP1Parser",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Supervisor",
            dependencies: ["UVLoop", "HTTPServerCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(name: "DemoApps", dependencies: ["WSGI"], swiftSettings: strict),
        .executableTarget(
            name: "wsgi-demo",
            dependencies: [
                "WSGIServer", "DemoApps", "Supervisor", "UVLoop",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Shared by the live test suites: in-process server, raw socket client, demo child process.
        .target(
            name: "TestSupport",
            dependencies: ["WSGIServer", .product(name: "Logging", package: "swift-log")],
            path: "Tests/TestSupport",
            swiftSettings: strict
        ),
        .testTarget(name: "WSGITests", dependencies: ["WSGI", "DemoApps"], swiftSettings: strict),
        .testTarget(
            name: "HTTP1ParserTests",
            dependencies: ["HTTP1Parser"],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "WSGIGatewayTests",
            dependencies: ["WSGIGateway", "HTTPServerCore", "HTTP1Parser", "WSGI"],
            swiftSettings: strict
        ),
        // The in-memory tier: a real Connection (parser, response protocol, framing) driven from
        // bytes through a transport in memory, with the Swift gateway behind it; no sockets.
        .testTarget(
            name: "ConnectionTests",
            dependencies: ["HTTPServerCore", "WSGIServer", "WSGI", "UVLoop", "TestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "UVLoopTests",
            dependencies: ["UVLoop", "CLibUV"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "WSGIServer", "DemoApps", "WSGI", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
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
