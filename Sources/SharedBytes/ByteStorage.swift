/// An immutable block of bytes on the heap with a stable address: the Swift-owned storage behind
/// ``Bytes``.
///
/// Filled once at creation (``init(count:initializer:)``, ``init(copying:)``) or adopted from memory
/// the caller allocated (``init(adopting:count:)``), never changed afterwards, freed in `deinit`.
///
/// `@unchecked Sendable` is sound: both stored properties are `let`, the memory behind `base` is
/// written only before the object can be shared (inside the initializer, or by the adopter before it
/// hands the memory over) and freed only in `deinit`, when no other reference exists; every other
/// access from any thread is a read of immutable data.
public final class ByteStorage: ByteOwner, @unchecked Sendable {
    /// Start of the block. Valid and unchanged until the storage is deinitialized.
    public let base: UnsafeRawPointer
    public let count: Int

    /// A block of `count` bytes written once by `initializer`.
    public init(count: Int, initializer: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 16)
        do {
            try initializer(UnsafeMutableRawBufferPointer(rebasing: block[0..<count]))
        } catch {
            block.deallocate()
            throw error
        }
        base = UnsafeRawPointer(block.baseAddress!)
        self.count = count
    }

    /// Takes ownership of `memory`, allocated with `UnsafeMutableRawPointer.allocate`, holding
    /// `count` initialized bytes: no copy. The caller must not use or free it afterwards (servers use
    /// this to hand a received request body to the application).
    public init(adopting memory: UnsafeMutableRawPointer, count: Int) {
        base = UnsafeRawPointer(memory)
        self.count = count
    }

    /// A block holding a copy of `bytes`.
    public convenience init(copying bytes: UnsafeRawBufferPointer) {
        self.init(count: bytes.count) { target in
            if let source = bytes.baseAddress, bytes.count > 0 { target.baseAddress!.copyMemory(from: source, byteCount: bytes.count) }
        }
    }

    deinit { UnsafeMutableRawPointer(mutating: base).deallocate() }
}
