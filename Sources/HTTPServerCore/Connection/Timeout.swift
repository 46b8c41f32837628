/// The timeouts a connection can be under; each one that fires is logged by name. Armed on state
/// transitions (one store), checked by the loop's periodic sweep.
enum Timeout: String {
    case none
    /// From a new connection, or the first byte of a request, to the end of the head.
    case headerRead = "header read"
    /// Longest silence between two pieces of a request body.
    case bodyRead = "body read"
    /// Between requests on a kept-alive connection.
    case keepAliveIdle = "keep-alive idle"
    /// Longest wait for the client to take a response write.
    case write
    /// After FIN, how long the client may take to close its side.
    case lingeringClose = "lingering close"
}
