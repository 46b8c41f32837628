#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file-like object: what `wsgi.file_wrapper` accepts (Python's object with `read` and maybe
/// `close` and `fileno`).
public protocol FileLike: AnyObject {
    /// Up to `size` bytes from the current position; empty at end of file.
    func read(_ size: Int) throws -> Bytes
    /// Releases the file; called once by the wrapper's `close()`.
    func close()
    /// The OS file descriptor when there is one: it enables the `sendfile(2)` fast path.
    var fileDescriptor: Int32? { get }
}

extension FileLike {
    public func close() {}
    public var fileDescriptor: Int32? { nil }
}

/// `wsgi.file_wrapper(filelike, block_size=8192)`: wraps a file-like object as a response body.
///
/// It transmits nothing itself. When the application returns the body unchanged, a server that
/// recognises it (``ResponseBody/fileWrapper``) may send the file from its current position with
/// `sendfile(2)`; any other server, or a middleware that wraps the body, gets plain iteration by
/// `read(blockSize)` with identical output.
public struct FileWrapperFactory: Sendable {
    public init() {}

    public func callAsFunction(_ file: any FileLike, _ blockSize: Int = 8192) -> ResponseBody {
        ResponseBody(FileWrapper(file, blockSize: blockSize))
    }
}

/// The iterable `wsgi.file_wrapper` returns. Owned by one response; not thread-safe.
public final class FileWrapper {
    /// The wrapped file.
    public let file: any FileLike
    /// The read size used when iterating (a hint; the sendfile path ignores it).
    public let blockSize: Int
    private var closed = false

    public init(_ file: any FileLike, blockSize: Int = 8192) {
        self.file = file
        self.blockSize = max(1, blockSize)
    }

    /// The next block, or `nil` at end of file.
    public func next() throws -> Bytes? {
        guard !closed else { return nil }
        let block = try file.read(blockSize)
        return block.isEmpty ? nil : block
    }

    /// Closes the file once.
    public func close() {
        guard !closed else { return }
        closed = true
        file.close()
    }
}

/// A file opened read-only by path, for `wsgi.file_wrapper`.
public final class File: FileLike {
    /// An error from the operating system, with the failing call and `errno`.
    public struct OSError: Error, CustomStringConvertible {
        public let call: String
        public let errno: Int32
        public var description: String { "\(call): \(String(cString: strerror(errno)))" }

        public init(call: String, errno: Int32) {
            self.call = call
            self.errno = errno
        }
    }

    public private(set) var fileDescriptor: Int32?

    /// Opens `path` for reading.
    public init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw OSError(call: "open \(path)", errno: errno) }
        fileDescriptor = fd
    }

    /// Moves the current position (Python's `seek(offset)`), from which reading and sending start.
    public func seek(to offset: Int) throws {
        guard let fd = fileDescriptor else { return }
        guard lseek(fd, off_t(offset), SEEK_SET) >= 0 else { throw OSError(call: "lseek", errno: errno) }
    }

    public func read(_ size: Int) throws -> Bytes {
        guard let fd = fileDescriptor, size > 0 else { return Bytes() }
        var buffer = [UInt8](repeating: 0, count: size)
        let count = buffer.withUnsafeMutableBytes { raw in readFile(fd, raw.baseAddress, size) }
        guard count >= 0 else { throw OSError(call: "read", errno: errno) }
        buffer.removeLast(size - count)
        return Bytes(buffer)
    }

    public func close() {
        if let fd = fileDescriptor { _ = closeFile(fd) }
        fileDescriptor = nil
    }

    deinit { close() }
}

// File-scope names for the C calls: inside `File`, `read` and `close` are its own methods.
private func readFile(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(fd, buffer, count) }
private func closeFile(_ fd: Int32) -> Int32 { close(fd) }
