import HTTPServerCore
import Logging
import WSGI

/// The WSGI gateway: the ``Responder`` that turns each request into a call of a WSGI application.
struct Gateway: Responder {
    let application: Application
    let builder: EnvironBuilder
    let logger: Logger

    /// Loop thread: the environ is built here, while the request's bytes are valid.
    func accept(_ request: IncomingRequest) -> any ApplicationCall {
        Call(application: application, environ: builder.environ(for: request), logger: logger)
    }

    /// A request ready to run, on whichever thread runs applications.
    struct Call: ApplicationCall {
        let application: Application
        let environ: Environ
        let logger: Logger

        func start() -> any ResponseSource {
            WSGIExchange(application: application, environ: environ, logger: logger)
        }
    }
}
