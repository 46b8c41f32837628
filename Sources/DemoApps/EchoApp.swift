import WSGI

/// The conformance application: answers with what the server gave it, byte for byte as the
/// Python reference `echo_app.py` does, so external suites can run against either.
///
/// - Any method, any path: `200`, `application/json`, `Content-Length`, and the JSON object
///   `{"body": ..., "body_size": N, "environ": {...}}`: every string entry of the environ, the
///   number of body bytes read, and the body (UTF-8 with replacement) when at most 64 KiB.
/// - `/stream?n=N&size=S&delay_ms=D`: N chunks of S bytes of `x` (defaults 5, 10, 0), one per step,
///   pausing D ms between chunks; `text/plain`, no `Content-Length`.
/// - `/status/CODE`: that status (200...599, else 400) with body `status CODE\n` and its
///   `Content-Length`; for 204 and 304 an empty body without `Content-Length`, unless the query
///   has `body=1`: then the body is returned anyway, to test that the server keeps it off the wire.
/// - `/error`: throws before `start_response`. `/error-after-start`: starts a response without
///   `Content-Length`, produces `first chunk\n`, then throws.
/// - `/crash`: stops the process (`fatalError`), for testing process supervision from outside.
///
/// Every route but `/error` and `/crash` reads the whole request body first, as the reference does.
/// Query parameters are parsed as the reference's `parse_qs(keep_blank_values=True)`, first value
/// winning, integers as Python's `int()`; a chunk above 64 MiB is refused by throwing.
///
/// Threading: stateless; any number of requests may run it at once.
public struct EchoApp: WSGIApplication {
    /// How `/stream` waits `delay_ms` between chunks.
    private let pause: @Sendable (_ milliseconds: Int) -> Void

    /// `/stream` blocks the application's thread for `delay_ms` between chunks.
    public init() {
        pause = { RepeatedChunks.sleep(milliseconds: $0) }
    }

    /// - Parameter pause: how `/stream` waits `delay_ms` between chunks (tests pass a recorder).
    public init(pause: @escaping @Sendable (_ milliseconds: Int) -> Void) {
        self.pause = pause
    }

    public func callAsFunction(_ environ: Environ, _ startResponse: StartResponse) throws -> ResponseBody {
        let path = environ["PATH_INFO", default: ""]
        switch path {
        case "/stream":
            return try stream(environ, startResponse)
        case _ where path.hasPrefix("/status/"):
            return try status(path.dropFirst("/status/".count), environ, startResponse)
        case "/error":
            throw DemoAppError("deliberate error before start_response (echo /error)")
        case "/error-after-start":
            return try errorAfterStart(environ, startResponse)
        case "/crash":
            fatalError("deliberate crash (echo /crash)")
        default:
            return try echo(environ, startResponse)
        }
    }

    /// The JSON echo: every string entry of the environ, the body size, and the body itself
    /// (UTF-8 with replacement) when it is at most ``RequestBody/keptLimit`` bytes.
    private func echo(_ environ: Environ, _ startResponse: StartResponse) throws -> ResponseBody {
        let body = try RequestBody(reading: environ)
        var strings: [String: PythonJSON] = [:]
        for (key, value) in environ {
            if case .string(let text) = value { strings[key] = .string(text) }
        }
        var out: [String: PythonJSON] = ["environ": .object(strings), "body_size": .integer(body.size)]
        if body.size <= RequestBody.keptLimit {
            out["body"] = .string(String(decoding: body.kept, as: UTF8.self))
        }
        let payload = PythonJSON.object(out).encoded
        try startResponse("200 OK", [("Content-Type", "application/json"), ("Content-Length", String(payload.count))])
        return [Bytes(payload)]
    }

    private func stream(_ environ: Environ, _ startResponse: StartResponse) throws -> ResponseBody {
        let query = QueryParameters(environ["QUERY_STRING", default: ""])
        let chunks = try RepeatedChunks(
            count: max(0, query.integer("n") ?? 5),
            size: max(0, query.integer("size") ?? 10),
            pauseMilliseconds: max(0, query.integer("delay_ms") ?? 0),
            pause: pause
        )
        _ = try RequestBody(reading: environ)
        try startResponse("200 OK", [("Content-Type", "text/plain")])
        return ResponseBody(chunks)
    }

    private func status(_ codeText: Substring, _ environ: Environ, _ startResponse: StartResponse) throws -> ResponseBody {
        var code = pythonInteger(codeText.trimmingSlashes()) ?? 0
        if !(200...599).contains(code) { code = 400 }
        _ = try RequestBody(reading: environ)
        var body = Bytes(utf8: "status \(code)\n")
        var headers: ResponseHeaders = [("Content-Type", "text/plain")]
        let bodyForced = QueryParameters(environ["QUERY_STRING", default: ""])["body"] == "1"
        if (code == 204 || code == 304) && !bodyForced {
            body = Bytes()
        } else {
            headers.append(("Content-Length", String(body.count)))
        }
        try startResponse("\(code) \(reasonPhrase(code))", headers)
        return [body]
    }

    private func errorAfterStart(_ environ: Environ, _ startResponse: StartResponse) throws -> ResponseBody {
        _ = try RequestBody(reading: environ)
        try startResponse("200 OK", [("Content-Type", "text/plain")])
        var sent = false
        return ResponseBody(next: {
            guard !sent else { throw DemoAppError("deliberate error after start_response (echo /error-after-start)") }
            sent = true
            return "first chunk\n"
        })
    }
}

extension Substring {
    /// Python's `strip("/")`.
    fileprivate func trimmingSlashes() -> Substring {
        var text = self
        while text.first == "/" { text.removeFirst() }
        while text.last == "/" { text.removeLast() }
        return text
    }
}
