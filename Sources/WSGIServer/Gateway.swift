import HTTPServerCore
import WSGI

/// The WSGI gateway: the ``Responder`` that turns each request into a call of a WSGI application.
struct Gateway: Responder {
    let context: GatewayContext

    /// Loop thread: the environ's source copies the request head while its bytes are valid.
    func accept(_ request: borrowing IncomingRequest) -> any ApplicationCall {
        WSGIExchange(context: context, environ: Environ(source: RequestEnviron(request, gateway: context)))
    }
}
