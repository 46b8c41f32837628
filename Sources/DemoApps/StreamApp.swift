import WSGI

/// The throughput benchmark: any path answers `n` chunks of `size` bytes of `x` with
/// `Content-Length` `n * size`. Query parameters `n` and `size` (parsed as echo parses them)
/// default to 16384 and 65536: 1 GiB.
///
/// One chunk per step of the body, the same buffer every time (``RepeatedChunks``), so the figure
/// measures the server, not the application. A chunk size above 64 MiB, or a total that
/// overflows, is refused by throwing (the server answers 500).
public struct StreamApp: WSGIApplication {
    public init() {}

    public func callAsFunction(_ environ: Environ, _ startResponse: StartResponse) throws -> ResponseBody {
        let query = QueryParameters(environ["QUERY_STRING", default: ""])
        let count = max(0, query.integer("n") ?? 16384)
        let size = max(0, query.integer("size") ?? 65536)
        let body = try RepeatedChunks(count: count, size: size)
        let (length, overflow) = count.multipliedReportingOverflow(by: size)
        guard !overflow else { throw DemoAppError("\(count) chunks of \(size) bytes is too large a body") }
        try startResponse("200 OK", [("Content-Type", "text/plain"), ("Content-Length", String(length))])
        return ResponseBody(body)
    }
}
