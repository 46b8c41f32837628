import CLibUV
import Glibc

/// An IP address and port as text, the way CGI's REMOTE_ADDR / SERVER_PORT want them.
public struct SocketAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port`, with IPv6 hosts in brackets.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Reads a `sockaddr_storage` filled by `getsockname`/`getpeername`.
    init?(_ storage: UnsafePointer<sockaddr_storage>) {
        var text = [CChar](repeating: 0, count: 64)
        switch Int32(storage.pointee.ss_family) {
        case AF_INET:
            let address = UnsafeRawPointer(storage).assumingMemoryBound(to: sockaddr_in.self)
            guard uv_ip4_name(address, &text, text.count) == 0 else { return nil }
            port = Int(UInt16(bigEndian: address.pointee.sin_port))
        case AF_INET6:
            let address = UnsafeRawPointer(storage).assumingMemoryBound(to: sockaddr_in6.self)
            guard uv_ip6_name(address, &text, text.count) == 0 else { return nil }
            port = Int(UInt16(bigEndian: address.pointee.sin6_port))
        default:
            return nil
        }
        host = text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Resolves `host` (a literal IPv4/IPv6 address, or a name such as `localhost`) and `port` to a
    /// socket address. Names are resolved synchronously: this runs once, at bind time.
    static func resolve(host: String, port: Int, into storage: UnsafeMutablePointer<sockaddr_storage>) throws {
        let raw = UnsafeMutableRawPointer(storage)
        if uv_ip4_addr(host, Int32(port), raw.assumingMemoryBound(to: sockaddr_in.self)) == 0 { return }
        if uv_ip6_addr(host, Int32(port), raw.assumingMemoryBound(to: sockaddr_in6.self)) == 0 { return }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_ADDRCONFIG
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let first = result, let address = first.pointee.ai_addr else {
            throw UVError(UV_EAI_NONAME.rawValue, "resolve \(host)")
        }
        defer { freeaddrinfo(result) }
        raw.copyMemory(from: address, byteCount: Int(first.pointee.ai_addrlen))
    }
}
