import WSGI

/// The classic benchmark application: `Index` for the path `/`, `Hello` for any other, as
/// `200 OK` `text/plain` with a `Content-Length`.
///
/// The hot path of the request-rate benchmarks, so it allocates nothing: both responses (body and
/// headers) are built once, and each request hands out the same immutable arrays.
public struct HelloApp: WSGIApplication {
    /// A response fixed at first use: its chunk list and headers are shared by every request.
    private struct CannedResponse {
        let chunks: [Bytes]
        let headers: ResponseHeaders

        init(_ body: Bytes) {
            chunks = [body]
            headers = [("Content-Type", "text/plain"), ("Content-Length", String(body.count))]
        }
    }

    private static let index = CannedResponse("Index")
    private static let hello = CannedResponse("Hello")

    public init() {}

    public func callAsFunction(_ environ: Environ, _ startResponse: StartResponse) throws -> ResponseBody {
        let response = environ["PATH_INFO"] == "/" ? Self.index : Self.hello
        try startResponse("200 OK", response.headers)
        return ResponseBody(response.chunks)
    }
}
