import HTTPServerCore
import SharedBytes

/// What the CGI variables of one connection's requests share: the connection's addresses, the
/// server, and the application's mount point. Made once per connection by a gateway.
public final class CGIContext: Sendable {
    public let connection: ConnectionInfo
    public let server: ServerInfo
    /// The application's mount point (SCRIPT_NAME) as ISO-8859-1 bytes; empty at the root.
    public let mountPoint: Bytes
    /// SERVER_NAME: the configured host, or the address the client connected to when the server
    /// listens on a wildcard address.
    let serverName: String
    /// Whether the peer is a proxy whose forwarding headers count (``ForwardedHeaders``).
    public let trustsForwardedHeaders: Bool

    public init(connection: ConnectionInfo, server: ServerInfo, mountPoint: Bytes) {
        self.connection = connection
        self.server = server
        self.mountPoint = mountPoint
        let host = server.host
        serverName = host.isEmpty || host == "0.0.0.0" || host == "::" ? connection.localAddress : host
        trustsForwardedHeaders = server.forwardedAllowIPs.trusts(connection.remoteAddress)
    }
}
