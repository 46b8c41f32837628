import UVLoop

/// One address a server listens on (gunicorn's `bind`, which may be given several times).
public enum ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// An IPv4/IPv6 literal or a resolvable name, and a port (0 picks a free one).
    case tcp(host: String, port: Int)
    /// A unix-domain socket at this path; a stale socket file there is replaced, and the file is
    /// removed when the server stops.
    case unix(path: String)
    /// A socket this process inherited already bound and listening (`fd://N`, systemd's
    /// `LISTEN_FDS`); the server takes it over.
    case descriptor(Int32)

    /// As gunicorn writes it: `HOST:PORT` (IPv6 in brackets), `unix:PATH`, `fd://N`.
    public var description: String {
        switch self {
        case .tcp(let host, let port): return SocketAddress(host: host, port: port).description
        case .unix(let path): return "unix:\(path)"
        case .descriptor(let fd): return "fd://\(fd)"
        }
    }

    /// Reads gunicorn's spellings: `HOST:PORT`, `[IPV6]:PORT`, `:PORT` and `PORT`-less `HOST`
    /// (all interfaces / port 8000 as gunicorn defaults them), `unix:PATH`, `fd://N`. nil for
    /// anything else.
    public init?(parsing text: String) {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard !path.isEmpty else { return nil }
            self = .unix(path: path)
            return
        }
        if text.hasPrefix("fd://") {
            guard let fd = Int32(text.dropFirst(5)), fd >= 0 else { return nil }
            self = .descriptor(fd)
            return
        }
        let hostPart: Substring
        var portPart: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                portPart = rest.dropFirst()
            }
        } else if let colon = text.lastIndex(of: ":") {
            guard text.firstIndex(of: ":") == colon else { return nil }  // a bare IPv6 needs brackets
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        } else {
            hostPart = Substring(text)
        }
        var port = 8000
        if let portPart {
            guard let number = Int(portPart), (0...65535).contains(number) else { return nil }
            port = number
        }
        guard !hostPart.contains(where: { $0 == " " || $0 == "/" }) else { return nil }
        self = .tcp(host: hostPart.isEmpty ? "0.0.0.0" : String(hostPart), port: port)
    }
}
