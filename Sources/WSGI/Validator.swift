/// A middleware that checks both sides of the WSGI contract at run time and fails loudly:
/// Python's `wsgiref.validate`, for this interface.
///
/// Wrap an application to test it, or wrap any application to test a server:
///
/// ```swift
/// let checked = Validator(EchoApp().application)                      // traps on any violation
/// let logged = Validator(app) { violation in log.append(violation) }  // or collect them
/// ```
///
/// What it checks (each rule is a ``Violation/Check``):
/// - **The server's environ**, before the application runs: every required key, of the right kind
///   and form (see ``violations(in:)``).
/// - **The server's `wsgi.input`**: the application gets a proxy that checks `read(n)` semantics
///   and the `CONTENT_LENGTH` bound, and sees an application's forbidden `close()`.
/// - **The application's `start_response`**: a valid status and headers (``ResponseRules``), called
///   once unless with an error; a consistent `Content-Length`.
/// - **The application's body**: no data, and no end, before `start_response`; exactly the declared
///   `Content-Length` (a `wsgi.file_wrapper` body may hold more: the server stops at the length);
///   `write` never from inside the iteration; `count` accurate.
/// - **The server's handling of the body**: `close()` exactly once, never `next()` after it, never
///   dropped without `close()` (detected when the body is released); an error passed to
///   `start_response` after data went out is rethrown.
///
/// Every violation goes to `onViolation`. An application-side violation is then also thrown where
/// it happens (from `start_response`, `write`, or the body's `next()`), so a server that catches it
/// answers 500 instead of sending a broken response. Server-side violations are only reported: the
/// validator passes control back unchanged, as far as it can.
///
/// Stricter than `wsgiref.validate` where this project's server promises more: `SCRIPT_NAME`,
/// `PATH_INFO` and `QUERY_STRING` must be present (PEP 3333 lets empty ones be omitted), and
/// `wsgi.input` must follow buffered `read(n)` semantics. Not checked: Content-Type presence (the
/// echo app deliberately answers 204 with one), and header names ending in `-` or `_`.
///
/// Wrapping the body hides a ``FileWrapper`` from the server, which then sends the file by plain
/// iteration (PEP 3333 requires that to be equivalent).
///
/// Threading: a `Validator` is an immutable value and may serve concurrent requests. Each request
/// gets its own state behind a lock, so its `start_response`, body and input may be used from
/// whichever thread the server runs the application on, one at a time.
public struct Validator: WSGIApplication {
    /// Receives every violation; called on the thread where the violation was found.
    public typealias ViolationHandler = @Sendable (Violation) -> Void

    /// The default handler: stops the process with the violation as the message, as a failed
    /// assertion would, so nothing broken goes unnoticed.
    public static let trap: ViolationHandler = { violation in fatalError(violation.description) }

    private let application: Application
    private let onViolation: ViolationHandler

    /// - Parameters:
    ///   - application: the application to check.
    ///   - onViolation: receives each violation; ``trap`` by default.
    public init(_ application: @escaping Application, onViolation: @escaping ViolationHandler = Validator.trap) {
        self.application = application
        self.onViolation = onViolation
    }

    public func callAsFunction(_ environ: Environ, _ startResponse: StartResponse) throws -> ResponseBody {
        for violation in Self.violations(in: environ) { onViolation(violation) }
        let exchange = ValidatedExchange(environ: environ, onViolation: onViolation)
        var environ = environ
        if case .input(let input)? = environ[value: "wsgi.input"] {
            let declared = environ["CONTENT_LENGTH"].flatMap { Self.isDecimal($0) ? Int($0) : nil }
            environ.input = ValidatedInput(input, exchange: exchange, contentLength: declared)
        }
        let body = try application(environ, exchange.startResponse(forwardingTo: startResponse))
        return ResponseBody(ValidatedBody(body, exchange: exchange))
    }
}
