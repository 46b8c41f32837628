import CLibUV

/// A libuv stream (`uv_stream_t`: TCP connections, pipes): reading into the loop's shared buffer.
///
/// Subclasses say where reads go by overriding ``didRead(_:)``, ``didReachEOF()`` and
/// ``didFail(_:)``. Thread: the loop's thread only.
public class Stream: Handle {
    /// Unchecked exclusivity: loop thread only, and no access overlaps another (read on every event
    /// a connection settles, written only here and in the close callback).
    @exclusivity(unchecked) public private(set) var isReading = false

    var stream: UnsafeMutablePointer<uv_stream_t> { UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_stream_t.self) }

    /// Starts delivering reads (into the loop's shared buffer).
    public func startReading() throws {
        guard !isReading, !isClosing else { return }
        try UVError.check(uv_read_start(stream, sharedBufferAllocator, readCallback), "uv_read_start")
        isReading = true
    }

    /// Stops reads: unread bytes wait in the kernel (backpressure on the peer).
    public func stopReading() {
        guard isReading else { return }
        uv_read_stop(stream)
        isReading = false
    }

    /// Bytes arrived; they are valid only during the call.
    func didRead(_ bytes: UnsafeRawBufferPointer) {}
    /// The peer finished sending. Reading has stopped.
    func didReachEOF() {}
    /// Reading failed. Reading has stopped.
    func didFail(_ error: UVError) {}

    fileprivate func deliverRead(_ count: Int, _ base: UnsafeMutablePointer<CChar>?) {
        if count > 0 {
            didRead(UnsafeRawBufferPointer(start: base, count: count))
        } else if count < 0 {
            stopReading()
            if count == Int(UV_EOF.rawValue) {
                didReachEOF()
            } else {
                didFail(UVError(Int32(count), "read"))
            }
        }
        // count == 0: EAGAIN, nothing to do.
    }

    override func didClose() { isReading = false }
}

/// libuv's alloc callback for every stream: the loop's shared read buffer.
private let sharedBufferAllocator: uv_alloc_cb = { handle, _, buffer in
    guard let handle, let buffer else { return }
    let readBuffer = Loop.readBuffer(of: handle.pointee.loop)
    buffer.pointee = uv_buf_init(readBuffer.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(readBuffer.count))
}

private let readCallback: uv_read_cb = { stream, count, buffer in
    guard let stream, stream.pointee.data != nil else { return }
    Handle.withOwner(UnsafeMutableRawPointer(stream), as: Stream.self) { $0.deliverRead(count, buffer?.pointee.base) }
}
