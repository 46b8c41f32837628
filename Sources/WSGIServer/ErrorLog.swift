import Logging
import WSGI

/// `wsgi.errors`: what applications write goes to the server's logger at `error` level, one record
/// per `write` (a trailing newline is dropped). Shared by all requests: it holds no state.
final class ErrorLog: WSGIErrors {
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    func write(_ text: String) {
        var line = Substring(text)
        if line.hasSuffix("\n") { line = line.dropLast() }
        guard !line.isEmpty else { return }
        logger.error("\(line)", metadata: ["source": "wsgi.errors"])
    }
}
