import HTTP1Parser

/// A request as the core hands it to a ``RequestHandler``. Valid only during `accept`, on the loop
/// thread: ``bytes`` point into the connection's input and the head's fields into the parser's
/// table. (The connection and the server were given to the handler when the connection opened.)
public struct IncomingRequest {
    /// The parsed head; its ranges are offsets into ``bytes``.
    public let head: RequestHead
    /// The bytes of the head, from offset 0 through the empty line that ends it (`head.length`).
    public let bytes: UnsafeRawBufferPointer
    /// The body, nil when the request has none (the common case costs no object). Without
    /// application threads it is complete (fully received) by the time the source's first `next`
    /// runs; with them the application starts at once and its reads wait for the client.
    public let body: RequestBody?
    /// Whether the method is `HEAD` (the response then carries no body).
    public let isHead: Bool
    /// When the request's first byte was read, in microseconds since the epoch, with
    /// ``ServerConfiguration/stampsRequestStart``; 0 otherwise (the queue time an APM agent reads
    /// from `X-Request-Start`).
    public var receivedAt: UInt64 = 0
}

/// The addresses of a connection, as CGI wants them.
public struct ConnectionInfo: Sendable {
    /// The peer's address and port: empty and 0 on a unix socket.
    public var remoteAddress: String
    public var remotePort: Int
    /// The address and port the client connected to: on a unix socket, empty and 80 (what
    /// gunicorn reports there).
    public var localAddress: String
    public var localPort: Int
    /// The configured host of the listener it came through, when that names one (not a wildcard
    /// address): SERVER_NAME. nil: the local address is the name (`localhost` on a unix socket).
    public var serverName: String?
    /// Whether it came through a unix socket (then its peer is trusted as a proxy: only processes
    /// allowed to open the socket file can connect).
    public var isUnixSocket: Bool
    /// The TLS session's facts on a TLS listener; nil on a plain one.
    public var security: ConnectionSecurity?

    public init(remoteAddress: String, remotePort: Int, localAddress: String, localPort: Int, serverName: String? = nil) {
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
        self.localAddress = localAddress
        self.localPort = localPort
        self.serverName = serverName
        isUnixSocket = false
    }

    /// A connection through a unix socket.
    public static func unixSocket() -> ConnectionInfo {
        var info = ConnectionInfo(remoteAddress: "", remotePort: 0, localAddress: "", localPort: 80, serverName: "localhost")
        info.isUnixSocket = true
        return info
    }
}

/// What a TLS connection tells applications (``ConnectionInfo/security``): the CGI variables
/// Apache's mod_ssl defines, which WSGI applications behind it read (`HTTPS`, `SSL_PROTOCOL`,
/// `SSL_CIPHER`, `SSL_CLIENT_VERIFY`, `SSL_CLIENT_S_DN`), and `wsgi.url_scheme` `https`.
public struct ConnectionSecurity: Sendable {
    /// `TLSv1.3`.
    public var protocolVersion: String
    /// OpenSSL's name of the cipher suite.
    public var cipher: String
    /// The client certificate's subject in RFC 2253 form (`CN=client,O=Example`), when the client
    /// sent one and it was verified; nil otherwise.
    public var clientSubject: String?
    /// The protocol ALPN chose (`http/1.1`), nil when the client offered none.
    public var applicationProtocol: String?

    public init(protocolVersion: String, cipher: String, clientSubject: String?, applicationProtocol: String?) {
        self.protocolVersion = protocolVersion
        self.cipher = cipher
        self.clientSubject = clientSubject
        self.applicationProtocol = applicationProtocol
    }

    /// The CGI variables of the connection, in a fixed order.
    public var variables: [(name: String, value: String)] {
        var variables = [("HTTPS", "on"), ("SSL_PROTOCOL", protocolVersion), ("SSL_CIPHER", cipher)]
        if let clientSubject {
            variables += [("SSL_CLIENT_VERIFY", "SUCCESS"), ("SSL_CLIENT_S_DN", clientSubject)]
        } else {
            variables.append(("SSL_CLIENT_VERIFY", "NONE"))
        }
        return variables
    }
}

/// What the server tells applications about itself. One per server, shared by every request.
public final class ServerInfo: Sendable {
    /// `SERVER_SOFTWARE` and the `Server` header.
    public let software: String
    /// `wsgi.url_scheme`.
    public let urlScheme: String
    /// The first configured host (SERVER_NAME when a connection's listener names none and it is a
    /// concrete address).
    public let host: String
    /// Threads that run applications; 0 when they run on the loop threads.
    public let applicationThreads: Int
    /// True when the application may run on several threads at once: an application thread pool,
    /// or several event loops each running it.
    public let multithread: Bool
    /// True when several processes run the application.
    public let multiprocess: Bool
    /// The peers whose forwarding headers count.
    public let forwardedAllowIPs: ForwardedAllowList

    public init(
        software: String, urlScheme: String, host: String, applicationThreads: Int, multithread: Bool, multiprocess: Bool,
        forwardedAllowIPs: ForwardedAllowList = .loopback
    ) {
        self.forwardedAllowIPs = forwardedAllowIPs
        self.software = software
        self.urlScheme = urlScheme
        self.host = host
        self.applicationThreads = applicationThreads
        self.multithread = multithread
        self.multiprocess = multiprocess
    }
}
