import Glibc

/// A bound, listening socket made with plain POSIX calls, for whoever must hold one without polling
/// it: a supervisor that hands it to its workers, a server whose several loops each adopt a copy
/// (``SocketListener/init(loop:adopting:)``). TCP, unix-domain, or one inherited by descriptor
/// (`fd://N`, systemd's `LISTEN_FDS`).
///
/// Ownership: the descriptor is the caller's to close; a unix socket's file is the caller's to
/// remove (``removeFile()``), by the process that created it.
public struct ListeningSocket: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let descriptor: Int32
    /// Where it listens (the real port when 0 was asked for).
    public let address: ListenerAddress
    /// Whether this process created the unix socket file (and so removes it).
    public let ownsFile: Bool

    /// Binds `host`:`port` (`SO_REUSEADDR`) and listens.
    public static func tcp(host: String, port: Int, backlog: Int32) throws -> ListeningSocket {
        var storage = sockaddr_storage()
        do {
            try SocketAddress.resolve(host: host, port: port, into: &storage)
        } catch {
            throw Failure(description: "cannot resolve \(host)")
        }
        let length = socklen_t(storage.ss_family == sa_family_t(AF_INET6) ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
        let fd = try makeSocket(Int32(storage.ss_family))
        var enabled: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &enabled, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        return try finish(fd, bound: bound == 0, backlog: backlog, describing: "\(SocketAddress(host: host, port: port))", ownsFile: false)
    }

    /// Binds the unix socket `path` with the process umask set to `umask` (the socket file's mode
    /// is 0777 minus it, as gunicorn's `--umask`) and listens. A socket file left by an earlier
    /// run is replaced; any other file there is an error.
    public static func unix(path: String, umask mask: mode_t, backlog: Int32) throws -> ListeningSocket {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !path.isEmpty, path.utf8.count < capacity else { throw Failure(description: "unix socket path must be 1 to \(capacity - 1) bytes: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path.utf8) }
        var status = stat()
        if lstat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFSOCK else { throw Failure(description: "\(path) exists and is not a socket") }
            unlink(path)
        }
        let fd = try makeSocket(AF_UNIX)
        let previous = Glibc.umask(mask)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        Glibc.umask(previous)
        return try finish(fd, bound: bound == 0, backlog: backlog, describing: "unix:\(path)", ownsFile: true)
    }

    /// A socket this process inherited already listening (`fd://N`, `LISTEN_FDS`); made close-on-exec.
    public static func inherited(_ fd: Int32) throws -> ListeningSocket {
        var type: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0, type == Int32(SOCK_STREAM.rawValue) else {
            throw Failure(description: "descriptor \(fd) is not a stream socket")
        }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        guard let address = ListenerAddress(boundTo: fd) else { throw Failure(description: "descriptor \(fd) is neither a TCP nor a unix socket") }
        return ListeningSocket(descriptor: fd, address: address, ownsFile: false)
    }

    /// Removes the unix socket file this process created (nothing otherwise).
    public func removeFile() {
        if ownsFile, case .unix(let path) = address { unlink(path) }
    }

    private init(descriptor: Int32, address: ListenerAddress, ownsFile: Bool) {
        self.descriptor = descriptor
        self.address = address
        self.ownsFile = ownsFile
    }

    private static func makeSocket(_ family: Int32) throws -> Int32 {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        return fd
    }

    private static func finish(_ fd: Int32, bound: Bool, backlog: Int32, describing name: String, ownsFile: Bool) throws -> ListeningSocket {
        guard bound, listen(fd, backlog) == 0, let address = ListenerAddress(boundTo: fd) else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw Failure(description: "bind \(name): \(reason)")
        }
        return ListeningSocket(descriptor: fd, address: address, ownsFile: ownsFile)
    }
}

/// Where a listener listens: an IP address and port, or a unix socket's path.
public enum ListenerAddress: Sendable, Equatable, CustomStringConvertible {
    case inet(SocketAddress)
    case unix(path: String)

    /// `HOST:PORT` (IPv6 in brackets) or `unix:PATH`, as gunicorn writes them.
    public var description: String {
        switch self {
        case .inet(let address): return address.description
        case .unix(let path): return "unix:\(path)"
        }
    }

    /// `http://HOST:PORT` or `unix:PATH`: what a server prints once it listens.
    public var url: String {
        switch self {
        case .inet(let address): return "http://\(address)"
        case .unix(let path): return "unix:\(path)"
        }
    }

    /// The address socket `fd` is bound to (`getsockname`); nil for other families.
    public init?(boundTo fd: Int32) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        guard status == 0 else { return nil }
        if Int32(storage.ss_family) == AF_UNIX {
            let path = withUnsafeBytes(of: storage) { raw -> String in
                let bytes = raw[MemoryLayout<sa_family_t>.size..<Int(length)]
                return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            self = .unix(path: path)
        } else if let address = SocketAddress(&storage) {
            self = .inet(address)
        } else {
            return nil
        }
    }
}
