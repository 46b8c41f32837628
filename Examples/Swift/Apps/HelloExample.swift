import WSGI

/// The smallest WSGI application: `wsgi-examples hello`.
public struct HelloExample: WSGIApplication {
    public init() {}

    public func callAsFunction(_ environ: Environ, _ startResponse: StartResponse) throws -> ResponseBody {
        let body: Bytes = "Hello, world!\n"
        try startResponse("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "\(body.count)")])
        return [body]
    }
}
