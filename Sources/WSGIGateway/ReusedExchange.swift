/// A connection's exchange object (a gateway's per-request state: environ, response rules, call
/// objects), reused for the connection's next request once nothing else holds it: a keep-alive
/// request then allocates no exchange. An application that kept something leading back to the
/// exchange (its `start_response`, its environ) keeps it working: the next request simply gets a new
/// one. Only when applications run on the loop thread: with application threads the last reference
/// may be dropped on a pool thread, and reusing would need that thread's release ordered before the
/// loop's writes, which a uniqueness check does not give.
///
/// Owned by the connection's handler; loop thread only.
public struct ReusedExchange<Exchange: AnyObject> {
    private var exchange: Exchange?

    public init() {}

    /// The exchange of the next request: the last one, reset by `reset`, when only this holds it;
    /// else a new one from `make`, kept for later.
    @inline(__always)
    public mutating func next(reset: (Exchange) -> Void, make: () -> Exchange) -> Exchange {
        // Checked before any other reference to it exists in this scope.
        if isKnownUniquelyReferenced(&exchange), let exchange {
            reset(exchange)
            return exchange
        }
        let fresh = make()
        exchange = fresh
        return fresh
    }
}
