import WSGI

/// Routing over SCRIPT_NAME and PATH_INFO: `PathDispatcher` mounts the users application at
/// `/users`, which takes the next segment with `shiftPathInfo()`; each level sees its own paths and
/// still knows where it is mounted. `curl localhost:8051/users/42` answers `user 42 (mounted at /users)`.
public struct RoutingExample: WSGIApplication {
    private let dispatcher = PathDispatcher([
        "/users": { environ, startResponse in try RoutingExample.users(environ, startResponse) },
        "/": { environ, startResponse in
            let path = environ["PATH_INFO", default: "/"]
            guard path == "/" else { return try Examples.text(startResponse, "404 Not Found", "not found: \(path)\n") }
            return try Examples.text(startResponse, "200 OK", "index: try /users or /users/42\n")
        },
    ])

    public init() {}

    public func callAsFunction(_ environ: Environ, _ startResponse: StartResponse) throws -> ResponseBody {
        try dispatcher(environ, startResponse)
    }

    static func users(_ environ: Environ, _ startResponse: StartResponse) throws -> ResponseBody {
        var environ = environ
        let mount = environ["SCRIPT_NAME", default: ""]
        guard let user = environ.shiftPathInfo(), !user.isEmpty else {
            return try Examples.text(startResponse, "200 OK", "all users (mounted at \(mount))\n")
        }
        guard user.allSatisfy(\.isNumber) else { return try Examples.text(startResponse, "404 Not Found", "no such user\n") }
        return try Examples.text(startResponse, "200 OK", "user \(user) (mounted at \(mount))\n")
    }
}
