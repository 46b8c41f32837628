/// What the server answers itself, before any application sees the request: its load balancer's
/// health check (left out of the access log), or a file of a `--static` mount. One decision, made
/// by HTTP/1.1 and HTTP/2 connections alike. Loop thread.
enum ServerAnswer {
    case healthCheck(any ResponseSource)
    case staticFile(any ResponseSource)

    /// The server's own answer to `request`; nil when the application answers.
    @inline(__always)
    static func to(_ request: borrowing IncomingRequest, context: LoopContext) -> ServerAnswer? {
        if let probe = context.configuration.healthCheck,
           probe.matches(path: UnsafeRawBufferPointer(rebasing: request.bytes[request.head.path]),
                         method: UnsafeRawBufferPointer(rebasing: request.bytes[request.head.method])) {
            return .healthCheck(probe.response())
        }
        if context.servesStaticFiles, let file = StaticMount.response(for: request, mounts: context.configuration.staticMounts) {
            return .staticFile(file)
        }
        return nil
    }
}
