/// The field lines of the head being parsed: memory the parser owns and reuses from one message to
/// the next (4 entries at first, doubled as heads need, never beyond the field-count limit). Every
/// open connection keeps its table, idle ones too: it starts small (a benchmark's or an API
/// client's head has one to four fields) and a browser's grows it once.
/// ``RequestHead/fields`` is a view of it, valid until the parser starts the next message.
///
/// Noncopyable: exactly one owner frees the memory.
struct FieldTable: ~Copyable {
    private var base: UnsafeMutablePointer<HeaderField>?
    private var capacity = 0
    private(set) var count = 0

    init() {}

    deinit { base?.deallocate() }

    /// The fields recorded so far; valid until the next `append` or `removeAll`.
    var view: UnsafeBufferPointer<HeaderField> { UnsafeBufferPointer(start: base, count: count) }

    mutating func removeAll() { count = 0 }

    mutating func append(_ field: HeaderField) {
        if count == capacity { grow() }
        // Bounds: count < capacity after growing. HeaderField is trivial: no deinitialization owed.
        (base.unsafelyUnwrapped + count).initialize(to: field)
        count += 1
    }

    private mutating func grow() {
        let larger = max(4, capacity * 2)
        let grown = UnsafeMutablePointer<HeaderField>.allocate(capacity: larger)
        if let base {
            grown.moveInitialize(from: base, count: count)
            base.deallocate()
        }
        base = grown
        capacity = larger
    }
}
