import WSGI

/// The applications bundled with the demo binary, by the name its `--app` option takes.
public enum DemoApps {
    private static let registry: [(name: String, application: Application)] = [
        ("hello", HelloApp().application),
        ("stream", StreamApp().application),
        ("echo", EchoApp().application),
    ]

    /// Every name ``application(named:)`` knows, the default (`hello`) first.
    public static let names: [String] = registry.map(\.name)

    /// The bundled application called `name`, or `nil` when there is none.
    public static func application(named name: String) -> Application? {
        registry.first { $0.name == name }?.application
    }
}

/// An error a demo application throws on purpose (echo's `/error` routes) or when a request asks
/// for more than it will produce; the server answers 500 or aborts the response.
public struct DemoAppError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) { self.description = description }
}
