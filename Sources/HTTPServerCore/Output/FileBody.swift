import Glibc
import SharedBytes

/// Reads a ``FileSlice`` block by block, for bodies sent from a file.
struct FileBody {
    static let blockSize = 64 * 1024

    private let descriptor: Int32
    private var offset: Int
    private var remaining: Int?

    init(_ slice: FileSlice) {
        descriptor = slice.descriptor
        offset = slice.offset
        remaining = slice.length
    }

    /// The next block, or nil at the end of the slice or file.
    mutating func nextBlock() throws -> Bytes? {
        let want = min(FileBody.blockSize, remaining ?? FileBody.blockSize)
        guard want > 0 else { return nil }
        var got = 0
        let block = try ByteStorage(count: want) { target in
            while got < want {
                let count = pread(descriptor, target.baseAddress! + got, want - got, off_t(offset + got))
                if count < 0 {
                    if errno == EINTR { continue }
                    throw SpoolError(operation: "read from file body", code: errno)
                }
                if count == 0 { break }
                got += count
            }
        }
        guard got > 0 else { return nil }
        offset += got
        if let remaining { self.remaining = remaining - got }
        return Bytes(block, offset: 0, count: got)
    }
}

/// A file part being sent with `sendfile(2)`.
struct FileTransfer {
    /// At most this much per turn of the loop, so one large file does not starve other connections.
    static let bytesPerTurn = 8 << 20

    var descriptor: Int32
    var offset: Int
    var remaining: Int
}
