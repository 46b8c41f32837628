import Synchronization
import TLS

/// The TLS context a server's new connections get: made from the settings at start, made again by
/// ``reload()`` (SIGHUP: a rotated certificate). A connection keeps the context it started with
/// (its session holds it), so open connections are untouched by a reload.
///
/// Thread-safe: every loop reads ``current`` at each accept; a reload comes from the signal thread.
public final class TLSContextStore: Sendable {
    public let settings: TLSServerSettings
    private let context: Mutex<TLSContext>

    /// Loads the files; throws with the file and OpenSSL's reason when one is refused.
    public init(_ settings: TLSServerSettings) throws(TLSError) {
        self.settings = settings
        context = Mutex(try TLSContext.server(settings))
    }

    /// The context for a connection accepted now.
    var current: TLSContext { context.withLock { $0 } }

    /// Loads the files again. A file refused keeps the context in force, and throws why.
    public func reload() throws(TLSError) {
        let loaded = try TLSContext.server(settings)
        context.withLock { $0 = loaded }
    }
}
