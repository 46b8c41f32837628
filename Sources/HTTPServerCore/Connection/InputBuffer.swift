/// Bytes received on a connection but not consumed yet: a partial head, a pipelined request
/// waiting for the current response, or body bytes read ahead.
///
/// Empty for almost every connection almost all the time (requests are parsed straight out of the
/// loop's shared read buffer), so it holds no memory when empty: 10,000 idle connections cost no
/// input buffers. Noncopyable: one owner frees it.
struct InputBuffer: ~Copyable {
    private var base: UnsafeMutableRawPointer?
    private var capacity = 0
    private var start = 0
    private var end = 0

    init() {}

    deinit { base?.deallocate() }

    var count: Int { end - start }
    var isEmpty: Bool { end == start }

    /// The unconsumed bytes; valid until the next mutation.
    var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base.map { $0 + start }, count: end - start)
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        if end + bytes.count > capacity {
            let needed = count + bytes.count
            if needed <= capacity, let base {
                // Enough room once the consumed prefix is dropped.
                base.copyMemory(from: base + start, byteCount: count)
            } else {
                var newCapacity = max(capacity * 2, 4096)
                while newCapacity < needed { newCapacity *= 2 }
                let grown = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
                if let base {
                    grown.copyMemory(from: base + start, byteCount: count)
                    base.deallocate()
                }
                base = grown
                capacity = newCapacity
            }
            end = count
            start = 0
        }
        (base! + end).copyMemory(from: source, byteCount: bytes.count)
        end += bytes.count
    }

    /// Drops the first `n` unconsumed bytes; frees the memory when nothing is left.
    mutating func consume(_ n: Int) {
        precondition(n <= count)
        start += n
        if start == end { removeAll() }
    }

    mutating func removeAll() {
        base?.deallocate()
        base = nil
        capacity = 0
        start = 0
        end = 0
    }
}
