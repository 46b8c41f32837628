/// An object that keeps bytes alive for a ``Bytes`` value that does not own them.
///
/// ``Bytes`` refers to memory it does not copy: the binary's constant data, a ``ByteStorage``
/// block, or memory that belongs to someone else (a Python `bytes` object, a memory-mapped file, a
/// buffer of another library). For the last kind, an owner object stands for that memory: every
/// `Bytes` value (and every slice or copy of it) holds a strong reference to the owner, and the
/// memory must stay valid and unchanged until the owner is deinitialized. So the owner's `deinit`
/// is where the foreign memory is given back, exactly once, after the last `Bytes` referring to it
/// is gone: a server that queues a chunk for an asynchronous socket write keeps the `Bytes` until
/// the write completed, so the release happens after the kernel has read the memory.
///
/// The release may happen on any thread that drops the last reference (a loop thread after a write,
/// an application thread): an owner whose release needs a particular context (a lock, Python's GIL)
/// arranges for it in its `deinit`.
public protocol ByteOwner: AnyObject, Sendable {}
