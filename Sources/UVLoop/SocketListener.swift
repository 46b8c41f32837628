import CLibUV
import Glibc

/// A listening socket: TCP (`uv_tcp_t`) or unix-domain (`uv_pipe_t`), in listen mode.
///
/// Accept backpressure comes from libuv itself: when the connection callback does not call
/// ``accept(into:)``, libuv stops polling the socket until it is called, so a server at its
/// connection limit simply defers `accept` and pending clients wait in the kernel backlog.
/// Thread: the loop's thread only.
public final class SocketListener: Handle {
    private var onConnection: ((UVError?) -> Void)?
    /// The kind of the connections it accepts.
    public let kind: SocketKind

    var tcp: UnsafeMutablePointer<uv_tcp_t> { UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_tcp_t.self) }

    /// A listener for `host:port`. With `reusePort`, several listeners (one per loop thread) may
    /// bind the same address and the kernel spreads connections among them (`SO_REUSEPORT`; set by
    /// hand because libuv 1.44 has no flag for it).
    public init(loop: Loop, host: String, port: Int, reusePort: Bool = false) throws {
        var address = sockaddr_storage()
        try SocketAddress.resolve(host: host, port: port, into: &address)
        let family = UInt32(address.ss_family)
        kind = .tcp
        try super.init(loop: loop, type: UV_TCP, "uv_tcp_init_ex") { memory in
            uv_tcp_init_ex(loop.raw, memory.assumingMemoryBound(to: uv_tcp_t.self), family)
        }
        do {
            if reusePort { try setSocketOption(SO_REUSEPORT) }
            _ = try withUnsafePointer(to: &address) { pointer in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    try UVError.check(uv_tcp_bind(tcp, $0, 0), "bind \(SocketAddress(host: host, port: port))")
                }
            }
        } catch {
            close()
            throw error
        }
    }

    /// Adopts an already bound and listening socket (TCP or unix-domain: its family decides),
    /// inherited from a parent process or made by a ``ListeningSocket``. The listener owns it from
    /// here on: closing the listener closes the descriptor.
    public init(loop: Loop, adopting fd: Int32) throws {
        guard let address = ListenerAddress(boundTo: fd) else { throw UVError(UV_ENOTSOCK.rawValue, "getsockname \(fd)") }
        switch address {
        case .inet:
            kind = .tcp
            try super.init(loop: loop, type: UV_TCP, "uv_tcp_init") { memory in
                uv_tcp_init(loop.raw, memory.assumingMemoryBound(to: uv_tcp_t.self))
            }
        case .unix:
            kind = .unix
            try super.init(loop: loop, type: UV_NAMED_PIPE, "uv_pipe_init") { memory in
                uv_pipe_init(loop.raw, memory.assumingMemoryBound(to: uv_pipe_t.self), 0)
            }
        }
        do {
            switch kind {
            case .tcp: try UVError.check(uv_tcp_open(tcp, uv_os_sock_t(fd)), "uv_tcp_open \(fd)")
            case .unix: try UVError.check(uv_pipe_open(UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_pipe_t.self), uv_file(fd)), "uv_pipe_open \(fd)")
            }
        } catch {
            close()
            throw error
        }
    }

    /// Starts listening; `onConnection` runs for each pending connection (or accept error, e.g.
    /// EMFILE, which libuv has already mitigated by dropping that connection).
    public func listen(backlog: Int32 = 1024, onConnection: @escaping (UVError?) -> Void) throws {
        self.onConnection = onConnection
        let stream = UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_stream_t.self)
        try UVError.check(uv_listen(stream, backlog, connectionCallback), "uv_listen")
    }

    /// Accepts the pending connection into `stream` (made with this listener's ``kind``). Call at
    /// most once per connection callback.
    public func accept(into stream: SocketStream) throws {
        let server = UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_stream_t.self)
        try UVError.check(uv_accept(server, stream.stream), "uv_accept")
    }

    /// The bound address (with the real port when bound to port 0).
    public func boundAddress() throws -> ListenerAddress {
        guard let address = ListenerAddress(boundTo: try fileDescriptor()) else { throw UVError(UV_EAFNOSUPPORT.rawValue, "getsockname") }
        return address
    }

    /// The OS socket (to hand to child processes).
    public func fileDescriptor() throws -> Int32 {
        var fd: uv_os_fd_t = -1
        try UVError.check(uv_fileno(handle, &fd), "uv_fileno")
        return fd
    }

    private func setSocketOption(_ option: Int32) throws {
        let fd = try fileDescriptor()
        var enabled: Int32 = 1
        guard setsockopt(fd, SOL_SOCKET, option, &enabled, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw UVError(-errno, "setsockopt")
        }
    }

    fileprivate func deliverConnection(_ status: Int32) {
        onConnection?(status < 0 ? UVError(status, "accept") : nil)
    }

    override func didClose() { onConnection = nil }
}

private let connectionCallback: uv_connection_cb = { server, status in
    guard let server, server.pointee.data != nil else { return }
    Handle.owner(UnsafeMutableRawPointer(server), as: SocketListener.self).deliverConnection(status)
}
