/// A WSGI application: `application(environ, start_response) -> iterable of bytestrings`.
///
/// Any function or closure of this shape is an application:
///
/// ```swift
/// func application(environ: Environ, startResponse: StartResponse) throws -> ResponseBody {
///     let body: Bytes = environ["PATH_INFO"] == "/" ? "Index" : "Hello"
///     try startResponse("200 OK", [("Content-Length", "\(body.count)")])
///     return [body]
/// }
/// ```
///
/// The server calls it once per request, possibly from several threads at once (when it runs an
/// application thread pool: `wsgi.multithread` is then true), hence `@Sendable`. Throwing before any
/// header is sent gives the client a 500; throwing later aborts the response.
public typealias Application = @Sendable (_ environ: Environ, _ startResponse: StartResponse) throws -> ResponseBody

/// An application written as a type (Python's class with `__call__`): implement `callAsFunction`.
/// Servers take either form; they never ask which.
public protocol WSGIApplication: Sendable {
    func callAsFunction(_ environ: Environ, _ startResponse: StartResponse) throws -> ResponseBody
}

extension WSGIApplication {
    /// This application as a plain ``Application`` function.
    public var application: Application {
        { environ, startResponse in try self(environ, startResponse) }
    }
}
