/// The body ``Validator`` returns to the server: forwards to the application's body and checks how
/// each side drives it (see ``ValidatedExchange``).
///
/// A class so that its release is observable: a server that drops the body without calling
/// `close()` is reported from `deinit`. Owned by one response, like any ``ResponseBody``.
final class ValidatedBody: ResponseIterator {
    private var body: ResponseBody
    private let exchange: ValidatedExchange
    /// The application's body's `count`, forwarded so a server may rely on it as on the original.
    let count: Int?

    init(_ body: ResponseBody, exchange: ValidatedExchange) {
        self.body = body
        self.exchange = exchange
        count = body.count
        exchange.bodyReturned(count: count, isFile: body.fileWrapper != nil)
    }

    func next() throws -> Bytes? {
        try exchange.step { try body.next() }
    }

    func close() {
        exchange.close { body.close() }
    }

    deinit { exchange.bodyReleased() }
}
