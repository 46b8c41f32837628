import HTTP1Parser
import HTTPServerCore

/// A request head kept beyond the moment the core hands it over: its bytes and the parser's field
/// table, copied into memory of its own, reused from one request to the next (it grows only when a
/// head is larger than any before). Sized to the first head: a keep-alive connection keeps its copy
/// while idle, so memory held for what may never come is held by every idle connection. Gateways keep one per exchange: the connection's buffer and
/// the parser's table belong to the next request as soon as `accept` returns.
///
/// Noncopyable: exactly one owner frees the memory. Use it on one thread at a time.
public struct RequestHeadCopy: ~Copyable {
    private var bytes: UnsafeMutableRawBufferPointer
    private var fields: UnsafeMutableBufferPointer<HeaderField>
    /// The copied head: its ranges are offsets into the copied bytes, its fields a view of the
    /// copied table.
    public private(set) var head: RequestHead
    private var count = 0
    /// The request's queue-time stamp (``IncomingRequest/receivedAt``).
    private var receivedAt: UInt64 = 0

    /// A copy of `request`'s head.
    public init(_ request: borrowing IncomingRequest) {
        bytes = .allocate(byteCount: max(1, request.bytes.count), alignment: 16)
        fields = .allocate(capacity: max(1, request.head.fields.count))
        head = request.head
        load(request)
    }

    deinit {
        bytes.deallocate()
        fields.deallocate()
    }

    /// Makes this a copy of `request`'s head instead.
    public mutating func load(_ request: borrowing IncomingRequest) {
        count = request.bytes.count
        if count > bytes.count {
            bytes.deallocate()
            // Grown by at least half: heads that grow a little at a time reallocate rarely.
            bytes = .allocate(byteCount: max(count, bytes.count + bytes.count / 2), alignment: 16)
        }
        if count > 0 { bytes.baseAddress!.copyMemory(from: request.bytes.baseAddress!, byteCount: count) }
        let fieldCount = request.head.fields.count
        if fieldCount > fields.count {
            fields.deallocate()
            fields = .allocate(capacity: max(fieldCount, fields.count + fields.count / 2))
        }
        // HeaderField is trivial: initializing over old values needs no deinitialization.
        if fieldCount > 0 { fields.baseAddress!.initialize(from: request.head.fields.baseAddress!, count: fieldCount) }
        head = request.head
        head.fields = UnsafeBufferPointer(start: fields.baseAddress, count: fieldCount)
        receivedAt = request.receivedAt
    }

    /// The CGI variables of the copied head; valid until the next ``load(_:)`` (and while `context`
    /// lives).
    public func variables(context: CGIContext) -> CGIVariables {
        CGIVariables(head: head, bytes: UnsafeRawBufferPointer(rebasing: bytes[0..<count]), context: context, receivedAt: receivedAt)
    }
}
