import CLibUV
import Glibc

/// What a ``SocketStream`` reports. All calls arrive on the loop's thread.
public protocol SocketStreamDelegate: AnyObject {
    /// Bytes arrived. They live in the loop's shared read buffer: valid only during this call.
    func streamDidRead(_ stream: SocketStream, _ bytes: UnsafeRawBufferPointer)
    /// The peer finished sending (FIN). Reading has stopped.
    func streamDidReachEOF(_ stream: SocketStream)
    /// Reading failed (e.g. ECONNRESET). Reading has stopped.
    func streamDidFail(_ stream: SocketStream, _ error: UVError)
    /// An asynchronous ``SocketStream/write(_:keepingAlive:)`` completed (or failed, or was cancelled
    /// by close).
    func streamDidFinishWrite(_ stream: SocketStream, _ error: UVError?)
    /// A ``SocketStream/shutdown()`` completed: everything queued was handed to the kernel, then FIN.
    func streamDidShutdown(_ stream: SocketStream, _ error: UVError?)
    /// After ``SocketStream/notifyWhenWritable()``: the socket can take more bytes (or polling failed).
    func streamDidBecomeWritable(_ stream: SocketStream, _ error: UVError?)
}

/// What a listener listens on, and so what its connections are.
public enum SocketKind: Sendable {
    /// TCP (`uv_tcp_t`): connections have IP addresses.
    case tcp
    /// A unix-domain socket (`uv_pipe_t`): connections have no address.
    case unix
}

/// One connection: TCP (`uv_tcp_t`) or unix-domain (`uv_pipe_t`).
///
/// Ownership: libuv keeps this object alive (through `data`) until its close callback; the stream
/// holds its delegate strongly until then, so a connection object and its stream live exactly as
/// long as the socket is open, and the cycle is broken in the close callback.
/// Thread: the loop's thread only.
public final class SocketStream: Stream {
    /// Unchecked exclusivity: read on every read callback, set only by the owner on the loop thread
    /// and cleared in the close callback; no access can overlap another.
    @exclusivity(unchecked) public var delegate: (any SocketStreamDelegate)?
    /// Created on the first ``notifyWhenWritable()``; closed with the stream.
    private var writablePoll: WritablePoll?

    public let kind: SocketKind

    var tcp: UnsafeMutablePointer<uv_tcp_t> { UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_tcp_t.self) }
    /// A stream ready to receive a connection from ``SocketListener/accept(into:)`` of a listener of
    /// the same kind.
    public init(loop: Loop, kind: SocketKind = .tcp) throws {
        self.kind = kind
        switch kind {
        case .tcp:
            try super.init(loop: loop, type: UV_TCP, "uv_tcp_init") { memory in
                uv_tcp_init(loop.raw, memory.assumingMemoryBound(to: uv_tcp_t.self))
            }
        case .unix:
            try super.init(loop: loop, type: UV_NAMED_PIPE, "uv_pipe_init") { memory in
                uv_pipe_init(loop.raw, memory.assumingMemoryBound(to: uv_pipe_t.self), 0)
            }
        }
    }

    // MARK: Reading (to the delegate)

    override func didRead(_ bytes: UnsafeRawBufferPointer) { delegate?.streamDidRead(self, bytes) }
    override func didReachEOF() { delegate?.streamDidReachEOF(self) }
    override func didFail(_ error: UVError) { delegate?.streamDidFail(self, error) }

    // MARK: Writing

    /// Writes what the socket takes right now without queuing (`uv_try_write`).
    /// - Returns: the bytes written, 0 when the socket would block.
    /// - Throws: ``UVError`` when the connection failed (EPIPE, ECONNRESET, ...).
    public func tryWrite(_ buffers: WriteBuffers) throws -> Int {
        guard buffers.count > 0 else { return 0 }
        return try withUnsafeTemporaryAllocation(of: uv_buf_t.self, capacity: WriteBuffers.capacity) { bufs in
            buffers.fill(bufs.baseAddress!)
            let status = uv_try_write(stream, bufs.baseAddress, UInt32(buffers.count))
            if status == UV_EAGAIN.rawValue { return 0 }
            return Int(try UVError.check(status, "uv_try_write"))
        }
    }

    /// Queues a write; the delegate hears ``SocketStreamDelegate/streamDidFinishWrite(_:_:)``.
    ///
    /// - Parameter owner: keeps the memory of `buffers` valid and unchanged until the completion:
    ///   it is retained by the write request and released right after the delegate call.
    public func write(_ buffers: WriteBuffers, keepingAlive owner: AnyObject?) throws {
        let request = WriteRequest(buffers: buffers, owner: owner)
        try request.submit(on: stream)
    }

    /// Sends up to `count` bytes of file `descriptor` from `offset` straight from the page cache
    /// (`sendfile(2)`, no copy through user space). Call only when no libuv write is queued, so
    /// bytes stay in order.
    /// - Returns: bytes sent; 0 when the socket would block; -1 when the file ended.
    public func sendFile(_ descriptor: Int32, offset: Int, count: Int) throws -> Int {
        let socket = try fileDescriptor()
        var position = off_t(offset)
        while true {
            let sent = Glibc.sendfile(socket, descriptor, &position, count)
            if sent > 0 { return sent }
            if sent == 0 { return -1 }
            switch errno {
            case EINTR: continue
            case EAGAIN: return 0
            default: throw UVError(-errno, "sendfile")
            }
        }
    }

    /// Tells the delegate once, with ``SocketStreamDelegate/streamDidBecomeWritable(_:_:)``, when the
    /// socket can take more bytes: for writes libuv does not perform itself (`sendfile(2)`).
    public func notifyWhenWritable() throws {
        if writablePoll == nil { writablePoll = try WritablePoll(loop: loop, socket: try fileDescriptor()) }
        try writablePoll?.whenWritable { [unowned self] error in delegate?.streamDidBecomeWritable(self, error) }
    }

    /// Blocks the calling (loop) thread until the socket can take more bytes, for at most
    /// `milliseconds` (negative: no limit). For an application running on the loop thread, whose
    /// `write()` waits for a slow client instead of buffering without bound. Returns false on
    /// timeout; true when writable, or when the socket failed (the next write reports how).
    public func waitUntilWritable(milliseconds: Int32) throws -> Bool {
        try wait(for: POLLOUT, milliseconds: milliseconds)
    }

    // MARK: Reading on demand

    /// Blocks the calling (loop) thread until bytes or the end of input can be received, for at
    /// most `milliseconds` (negative: no limit). For an application running on the loop thread
    /// that reads its request body while it arrives. Returns false on timeout; true when readable,
    /// or when the socket failed (the next receive reports how).
    public func waitUntilReadable(milliseconds: Int32) throws -> Bool {
        try wait(for: POLLIN, milliseconds: milliseconds)
    }

    /// Copies up to `buffer.count` bytes the kernel received into `buffer`, without waiting and
    /// beside libuv's reading (which cannot run meanwhile: this is its loop's thread). With
    /// `peeking` the bytes stay in the kernel, to be received again: a caller takes only the
    /// bytes it has a use for, and the rest reaches the delegate as usual.
    /// - Returns: the count; 0 at the end of input; nil when nothing has arrived.
    public func receive(into buffer: UnsafeMutableRawBufferPointer, peeking: Bool) throws -> Int? {
        let socket = try fileDescriptor()
        while true {
            let count = Glibc.recv(socket, buffer.baseAddress, buffer.count, peeking ? Int32(MSG_PEEK) : 0)
            if count >= 0 { return count }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return nil
            default: throw UVError(-errno, "recv")
            }
        }
    }

    private func wait(for event: Int32, milliseconds: Int32) throws -> Bool {
        var watched = pollfd(fd: try fileDescriptor(), events: Int16(event), revents: 0)
        while true {
            let ready = Glibc.poll(&watched, 1, milliseconds)
            if ready > 0 { return true }
            if ready == 0 { return false }
            if errno != EINTR { throw UVError(-errno, "poll") }
        }
    }

    /// After queued writes complete, sends FIN (`uv_shutdown`); the delegate hears
    /// ``SocketStreamDelegate/streamDidShutdown(_:_:)``.
    public func shutdown() throws {
        let request = UnsafeMutablePointer<uv_shutdown_t>.allocate(capacity: 1)
        let status = uv_shutdown(request, stream) { request, status in
            guard let request else { return }
            defer { request.deallocate() }
            guard let handle = request.pointee.handle, handle.pointee.data != nil else { return }
            let owner = Handle.owner(UnsafeMutableRawPointer(handle), as: SocketStream.self)
            owner.delegate?.streamDidShutdown(owner, status < 0 ? UVError(status, "uv_shutdown") : nil)
        }
        if status < 0 {
            request.deallocate()
            throw UVError(status, "uv_shutdown")
        }
    }

    // MARK: Socket

    /// Disables Nagle's algorithm (responses are complete writes; do not hold them back). Unix
    /// sockets have none.
    public func setNoDelay(_ enabled: Bool) throws {
        guard kind == .tcp else { return }
        try UVError.check(uv_tcp_nodelay(tcp, enabled ? 1 : 0), "uv_tcp_nodelay")
    }

    /// The remote end's address (TCP only).
    public func peerAddress() throws -> SocketAddress {
        try address(uv_tcp_getpeername, "uv_tcp_getpeername")
    }

    /// The local end's address (the address the client connected to; TCP only).
    public func localAddress() throws -> SocketAddress {
        try address(uv_tcp_getsockname, "uv_tcp_getsockname")
    }

    private func address(
        _ get: (UnsafePointer<uv_tcp_t>?, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<Int32>?) -> Int32,
        _ operation: String
    ) throws -> SocketAddress {
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutablePointer(to: &storage) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { try UVError.check(get(tcp, $0, &length), operation) }
        }
        guard let address = SocketAddress(&storage) else { throw UVError(UV_EAFNOSUPPORT.rawValue, operation) }
        return address
    }

    /// The OS socket (for `sendfile(2)`); valid until close.
    public func fileDescriptor() throws -> Int32 {
        var fd: uv_os_fd_t = -1
        try UVError.check(uv_fileno(handle, &fd), "uv_fileno")
        return fd
    }

    override func willClose() {
        writablePoll?.close()
        writablePoll = nil
    }

    override func didClose() {
        super.didClose()
        delegate = nil
    }
}
