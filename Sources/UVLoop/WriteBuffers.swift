import CLibUV

/// Up to four byte ranges written as one `writev`: e.g. a response head, a chunk-size line, the
/// chunk, and its CRLF. Held inline (no allocation); empty ranges are skipped.
public struct WriteBuffers {
    public static let capacity = 4
    private var pieces: (UnsafeRawBufferPointer, UnsafeRawBufferPointer, UnsafeRawBufferPointer, UnsafeRawBufferPointer)
    public private(set) var count = 0
    /// Total bytes in all pieces.
    public private(set) var byteCount = 0

    public init() {
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        pieces = (empty, empty, empty, empty)
    }

    /// Adds a range; the caller keeps its memory valid until the write has taken it (see
    /// ``SocketStream/write(_:keepingAlive:)`` for asynchronous writes).
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        switch count {
        case 0: pieces.0 = bytes
        case 1: pieces.1 = bytes
        case 2: pieces.2 = bytes
        case 3: pieces.3 = bytes
        default: preconditionFailure("WriteBuffers holds at most \(WriteBuffers.capacity) pieces")
        }
        count += 1
        byteCount += bytes.count
    }

    public subscript(index: Int) -> UnsafeRawBufferPointer {
        precondition(index >= 0 && index < count)
        switch index {
        case 0: return pieces.0
        case 1: return pieces.1
        case 2: return pieces.2
        default: return pieces.3
        }
    }

    /// The same pieces without their first `count` bytes (what is left after a partial write).
    public func dropping(first count: Int) -> WriteBuffers {
        var rest = WriteBuffers()
        var skip = count
        for index in 0..<self.count {
            let piece = self[index]
            if skip >= piece.count {
                skip -= piece.count
                continue
            }
            rest.append(UnsafeRawBufferPointer(rebasing: piece[skip...]))
            skip = 0
        }
        return rest
    }

    /// Fills `target` (room for ``capacity`` entries) with libuv buffer descriptors.
    func fill(_ target: UnsafeMutablePointer<uv_buf_t>) {
        for index in 0..<count {
            let piece = self[index]
            target[index] = uv_buf_init(UnsafeMutablePointer(mutating: piece.baseAddress!.assumingMemoryBound(to: CChar.self)), UInt32(piece.count))
        }
    }
}
