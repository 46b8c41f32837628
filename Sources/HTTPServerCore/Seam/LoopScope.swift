/// What a responder keeps per event loop: objects the handlers of one loop's connections share,
/// such as a pool of reusable exchanges (``ExchangePool``). Each loop makes one and passes it to
/// ``Responder/handler(for:on:loop:)`` for every connection it accepts.
///
/// Loop thread only: the loop that made it is the only thread that touches it, so nothing it holds
/// needs a lock. The loop empties it when it stops (``removeAll()``), before the responder hears
/// the loop's last ``Responder/threadWillWait()``: what a runtime's objects take to be released (the
/// GIL) is given back there, as after any turn.
public final class LoopScope {
    /// Unchecked exclusivity: loop thread only, and `make` cannot reach this scope's own storage
    /// while it runs (it is called before the value is stored).
    @exclusivity(unchecked) private var values: [ObjectIdentifier: AnyObject] = [:]

    public init() {}

    /// The loop stopped: everything shared goes.
    public func removeAll() { values.removeAll() }

    /// This loop's one object of type `Value`, made by `make` the first time it is asked for.
    public func shared<Value: AnyObject>(_ make: () -> Value) -> Value {
        let key = ObjectIdentifier(Value.self)
        if let value = values[key] { return unsafeDowncast(value, to: Value.self) }
        let value = make()
        values[key] = value
        return value
    }
}

/// The exchange objects of one loop's connections (a gateway's per-request state: environ,
/// response rules, call objects), reused for any connection's next request once nothing else holds
/// them: a request then allocates no exchange, and an idle keep-alive connection holds none (the
/// pool is the loop's, not the connection's). An application that kept something leading back to an
/// exchange (its `start_response`, its environ) keeps it working: the pool passes it by until it
/// is free again.
///
/// Only when applications run on the loop thread: with application threads the last reference may
/// be dropped on a pool thread, and reusing would need that thread's release ordered before the
/// loop's writes, which a uniqueness check does not give. Kept in the loop's ``LoopScope``; loop
/// thread only.
public final class ExchangePool<Exchange: AnyObject> {
    /// Unchecked exclusivity: loop thread only; `reset` and `make` run on an exchange, never on the
    /// pool. Visible to inlined code: ``next(reset:make:)`` is specialized in each gateway (called
    /// generically, it spent more on metadata lookups than the exchange it saves).
    @exclusivity(unchecked) @usableFromInline var exchanges: [Exchange] = []

    /// The most exchanges kept. More are in use at once only while that many responses wait for
    /// slow clients; those beyond it are made for their request and freed after it.
    @inlinable public static var capacity: Int { 16 }

    public init() {}

    /// The exchange of the next request: a kept one that only the pool holds, reset by `reset` for
    /// it; else a new one from `make`, kept while the pool has room.
    @inlinable
    public func next(reset: (Exchange) -> Void, make: () -> Exchange) -> Exchange {
        var index = 0
        while index < exchanges.count {
            if isKnownUniquelyReferenced(&exchanges[index]) {
                let exchange = exchanges[index]
                reset(exchange)
                return exchange
            }
            index += 1
        }
        let fresh = make()
        if exchanges.count < Self.capacity { exchanges.append(fresh) }
        return fresh
    }

    /// How many exchanges are kept (for tests).
    public var count: Int { exchanges.count }
}
