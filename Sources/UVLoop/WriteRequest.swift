import CLibUV

/// One queued `uv_write`: the request memory, the buffer descriptors and the owner of the bytes.
///
/// libuv requires the `uv_write_t` and the bytes to stay valid until the write callback; this
/// object is retained through `req->data` from submit until that callback, which releases it
/// (and with it the bytes' owner) exactly once. Thread: the loop's thread only.
final class WriteRequest {
    private let request: UnsafeMutablePointer<uv_write_t>
    private let descriptors: UnsafeMutablePointer<uv_buf_t>
    private let buffers: WriteBuffers
    private let owner: AnyObject?

    init(buffers: WriteBuffers, owner: AnyObject?) {
        self.request = .allocate(capacity: 1)
        self.descriptors = .allocate(capacity: WriteBuffers.capacity)
        self.buffers = buffers
        self.owner = owner
        buffers.fill(descriptors)
    }

    deinit {
        request.deallocate()
        descriptors.deallocate()
    }

    func submit(on stream: UnsafeMutablePointer<uv_stream_t>) throws {
        let retained = Unmanaged.passRetained(self)
        request.pointee.data = retained.toOpaque()
        let status = uv_write(request, stream, descriptors, UInt32(buffers.count), writeCallback)
        if status < 0 {
            retained.release()
            throw UVError(status, "uv_write")
        }
    }
}

private let writeCallback: uv_write_cb = { request, status in
    guard let request, let data = request.pointee.data else { return }
    let retained = Unmanaged<WriteRequest>.fromOpaque(data)
    defer { retained.release() }
    guard let handle = request.pointee.handle, handle.pointee.data != nil else { return }
    let stream = Handle.owner(UnsafeMutableRawPointer(handle), as: SocketStream.self)
    stream.delegate?.streamDidFinishWrite(stream, status < 0 ? UVError(status, "write") : nil)
}
