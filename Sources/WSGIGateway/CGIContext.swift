import HTTPServerCore
import SharedBytes

/// What the CGI variables of one connection's requests share: the connection's addresses, the
/// server, and the application's mount point. Made once per connection by a gateway.
public final class CGIContext: Sendable {
    public let connection: ConnectionInfo
    public let server: ServerInfo
    /// The application's mount point (SCRIPT_NAME) as ISO-8859-1 bytes; empty at the root.
    public let mountPoint: Bytes
    /// SERVER_NAME: the connection's listener's host, or the address the client connected to when
    /// it listens on a wildcard address (`localhost` on a unix socket).
    let serverName: String
    /// Whether the peer is a proxy whose forwarding headers count (``ForwardedHeaders``).
    public let trustsForwardedHeaders: Bool
    /// `wsgi.url_scheme` unless a trusted proxy says otherwise: `https` on a TLS connection, else
    /// the server's.
    public let urlScheme: String
    /// The TLS connection's CGI variables (`HTTPS`, `SSL_*`; see ``ConnectionSecurity``); empty on
    /// a plain one.
    public let securityVariables: [(name: String, value: String)]

    public init(connection: ConnectionInfo, server: ServerInfo, mountPoint: Bytes) {
        self.connection = connection
        self.server = server
        self.mountPoint = mountPoint
        let host = server.host
        serverName = connection.serverName ?? (host.isEmpty || host == "0.0.0.0" || host == "::" ? connection.localAddress : host)
        trustsForwardedHeaders = connection.isUnixSocket || server.forwardedAllowIPs.trusts(connection.remoteAddress)
        urlScheme = connection.security == nil ? server.urlScheme : "https"
        securityVariables = connection.security?.variables ?? []
    }
}
