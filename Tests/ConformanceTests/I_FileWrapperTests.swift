import Foundation
import Glibc
import Testing
import TestSupport
import WSGIServer

/// Checklist I: `wsgi.file_wrapper` (PEP 3333 "Optional Platform-Specific File Handling").
///
/// The server sends its own wrapper, returned unchanged, from the file descriptor (the fast path);
/// anything else is iterated. The Validator wraps every body it checks, which is exactly the
/// "middleware wrapped the file wrapper" case: under `.full` validation the iteration path runs.
/// The fast path is reached only with `.environOnly` validation, and close() is counted by hand.
@Suite struct FileWrapperTests {
    /// 260 bytes: the alphabet ten times ("abc...z" at offsets 0, 26, ...).
    static let content: [UInt8] = (0..<260).map { UInt8(ascii: "a") + UInt8($0 % 26) }

    /// A temporary file holding `content`; removed when the test's `defer` runs `remove`.
    static func temporaryFile(_ bytes: [UInt8] = content) throws -> String {
        let path = NSTemporaryDirectory() + "/conformance-\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw HarnessFailure("cannot create \(path)")
        }
        return path
    }

    /// A file-like object over a descriptor that counts its reads and closes.
    final class CountingFile: FileLike {
        let descriptor: Int32
        let offersDescriptor: Bool
        let reads: Counter
        let closes: Counter

        init(descriptor: Int32, offersDescriptor: Bool = true, reads: Counter, closes: Counter) {
            self.descriptor = descriptor
            self.offersDescriptor = offersDescriptor
            self.reads = reads
            self.closes = closes
        }

        convenience init(path: String, offset: Int = 0, offersDescriptor: Bool = true, reads: Counter, closes: Counter) throws {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw HarnessFailure("open \(path): errno \(errno)") }
            if offset > 0 { lseek(descriptor, off_t(offset), SEEK_SET) }
            self.init(descriptor: descriptor, offersDescriptor: offersDescriptor, reads: reads, closes: closes)
        }

        func read(_ size: Int) throws -> Bytes {
            reads.increment()
            var buffer = [UInt8](repeating: 0, count: size)
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, size) }
            guard count >= 0 else { throw HarnessFailure("read: errno \(errno)") }
            return Bytes(buffer[0..<count])
        }

        func close() {
            closes.increment()
            _ = Glibc.close(descriptor)
        }

        var fileDescriptor: Int32? { offersDescriptor ? descriptor : nil }
    }

    /// An application answering with `wsgi.file_wrapper` over the file at `path`, seeked to
    /// `offset`, with the given headers.
    static func fileApp(path: String, offset: Int = 0, headers: ResponseHeaders = [("Content-Type", "text/plain")],
                        blockSize: Int? = nil, offersDescriptor: Bool = true, reads: Counter, closes: Counter) -> Application {
        { environ, startResponse in
            let factory = try #require(environ.fileWrapper)
            let file = try CountingFile(path: path, offset: offset, offersDescriptor: offersDescriptor, reads: reads, closes: closes)
            try startResponse("200 OK", headers)
            return blockSize.map { factory(file, $0) } ?? factory(file)
        }
    }

    // MARK: S67

    @Test func S67_theWrapperTakesAnOptionalBlockSize() throws {
        let path = try Self.temporaryFile()
        defer { unlink(path) }
        let closes = Counter()
        // Iterated (under the Validator): the block size decides the chunks.
        let harness = try Harness(app: Self.fileApp(path: path, blockSize: 100, reads: Counter(), closes: closes))
        let raw = try harness.rawExchange("GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        let body = try #require(raw.splitHead?.body)
        var expected: [UInt8] = Array("64\r\n".utf8)
        expected += Self.content[0..<100]
        expected += Array("\r\n64\r\n".utf8)
        expected += Self.content[100..<200]
        expected += Array("\r\n3c\r\n".utf8)
        expected += Self.content[200..<260]
        expected += Array("\r\n0\r\n\r\n".utf8)
        #expect(body == expected)
        #expect(eventually { closes.count == 1 })
        harness.finish()
        // And with the default block size (8192): one chunk.
        let defaults = try Harness(app: Self.fileApp(path: path, reads: Counter(), closes: Counter()))
        #expect(try defaults.get("/").body == Self.content)
        defaults.finish()
    }

    // MARK: S68

    @Test(arguments: [0, 2])
    func S68_aWrappedWrapperIsIteratedWithIdenticalOutput(threads: Int) throws {
        let path = try Self.temporaryFile()
        defer { unlink(path) }
        // Fast path: the server's own wrapper, unchanged.
        let fastReads = Counter(), fastCloses = Counter()
        let fast = try Harness(threads: threads, validation: .environOnly, app: Self.fileApp(path: path, reads: fastReads, closes: fastCloses))
        let fastResponse = try fast.get("/")
        #expect(eventually { fastCloses.count == 1 })
        fast.finish()
        // Wrapped by a middleware (the Validator): plain iteration.
        let slowReads = Counter(), slowCloses = Counter()
        let slow = try Harness(threads: threads, app: Self.fileApp(path: path, reads: slowReads, closes: slowCloses))
        let slowResponse = try slow.get("/")
        #expect(eventually { slowCloses.count == 1 })
        slow.finish()

        #expect(fastResponse.body == Self.content)
        #expect(slowResponse.body == fastResponse.body)
        #expect(fastResponse.header("Content-Length") == "260")  // derived from the file's size
        #expect(slowResponse.isChunked)
        #expect(fastReads.count == 0, "the fast path read through the file-like object")
        #expect(slowReads.count == 2)  // one block, then the end
        #expect(fastCloses.count == 1)
        #expect(slowCloses.count == 1)
    }

    @Test func S68_theWrapperTransmitsNothingUntilReturned() throws {
        let path = try Self.temporaryFile()
        defer { unlink(path) }
        let reads = Counter()
        let closes = Counter()
        let harness = try Harness(validation: .environOnly, app: { environ, startResponse in
            let file = try CountingFile(path: path, reads: reads, closes: closes)
            let unused = environ.fileWrapper!(file)
            _ = unused
            try startResponse("200 OK", [("Content-Length", "5")])
            defer { file.close() }  // not returned, so the application closes it
            return ["other"]
        })
        #expect(try harness.get("/").bodyText == "other")
        harness.finish()
        #expect(reads.count == 0)
        #expect(closes.count == 1)
    }

    // MARK: S69

    @Test(arguments: [Validation.full, .environOnly], [0, 2])
    func S69_aFileWithoutDescriptorIsIteratedAndClosedOnce(validation: Validation, threads: Int) throws {
        let path = try Self.temporaryFile()
        defer { unlink(path) }
        let reads = Counter()
        let closes = Counter()
        let harness = try Harness(threads: threads, validation: validation,
                                  app: Self.fileApp(path: path, blockSize: 64, offersDescriptor: false, reads: reads, closes: closes))
        let client = try harness.client()
        try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        #expect(try client.readResponse().body == Self.content)
        #expect(eventually { closes.count == 1 })
        // The connection carries on.
        try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        #expect(try client.readResponse().body == Self.content)
        #expect(eventually { closes.count == 2 })
        harness.finish()
        #expect(reads.count == 2 * 6)  // 5 blocks of 64 (the last one short), then the end; twice
        #expect(closes.count == 2)
    }

    @Test func S69_aPipeIsIteratedNotSentAsAFile() throws {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        let data = Array("through a pipe".utf8)
        _ = data.withUnsafeBytes { write(ends[1], $0.baseAddress, $0.count) }
        close(ends[1])
        let reads = Counter()
        let closes = Counter()
        let descriptor = ends[0]
        let harness = try Harness(validation: .environOnly, app: { environ, startResponse in
            try startResponse("200 OK", [("Content-Type", "text/plain")])
            return environ.fileWrapper!(CountingFile(descriptor: descriptor, reads: reads, closes: closes))
        })
        #expect(try harness.get("/").body == data)
        #expect(eventually { closes.count == 1 })
        harness.finish()
        #expect(reads.count == 2)
    }

    // MARK: S70

    @Test(arguments: [Validation.full, .environOnly], [0, 2])
    func S70_sendingStartsAtTheCurrentPositionAndStopsAtContentLength(validation: Validation, threads: Int) throws {
        let path = try Self.temporaryFile()
        defer { unlink(path) }
        let closes = Counter()
        let harness = try Harness(threads: threads, validation: validation, app: { environ, startResponse in
            let length = environ["PATH_INFO"] == "/five" ? [("Content-Length", "5")] : []
            return try Self.fileApp(path: path, offset: 10, headers: length, reads: Counter(), closes: closes)(environ, startResponse)
        })
        let client = try harness.client()
        try client.send("GET /five HTTP/1.1\r\nHost: test\r\n\r\n")
        let five = try client.readResponse()
        #expect(five.bodyText == "klmno")
        #expect(five.header("Content-Length") == "5")
        try client.send("GET /rest HTTP/1.1\r\nHost: test\r\n\r\n")
        let rest = try client.readResponse()
        #expect(rest.body == Array(Self.content[10...]))
        if validation == .environOnly {
            #expect(rest.header("Content-Length") == "250")  // derived: the file's size minus the position
        }
        #expect(eventually { closes.count == 2 })
        harness.finish()
    }

    @Test(arguments: [Validation.full, .environOnly])
    func S70_aFileAtItsEndSendsAnEmptyBody(validation: Validation) throws {
        let path = try Self.temporaryFile()
        defer { unlink(path) }
        let closes = Counter()
        let harness = try Harness(validation: validation, app: Self.fileApp(path: path, offset: 300, reads: Counter(), closes: closes))
        let client = try harness.client()
        for _ in 0..<2 {
            try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.body.isEmpty)
        }
        #expect(eventually { closes.count == 2 })
        harness.finish()
    }

    @Test func S70_aFileShorterThanItsContentLengthClosesTheConnection() throws {
        let path = try Self.temporaryFile()
        defer { unlink(path) }
        let closes = Counter()
        let harness = try Harness(validation: .environOnly, app: Self.fileApp(path: path, offset: 250, headers: [("Content-Length", "100")], reads: Counter(), closes: closes))
        let client = try harness.client()
        try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        let raw = try client.readToEOF()
        #expect(raw.splitHead?.body == Array(Self.content[250...]))
        #expect(eventually { closes.count == 1 })
        harness.finish()
    }

    @Test(arguments: [Validation.full, .environOnly])
    func S61_aFileAnswerToHEADCarriesNoBody(validation: Validation) throws {
        let path = try Self.temporaryFile()
        defer { unlink(path) }
        let closes = Counter()
        let harness = try Harness(validation: validation, app: Self.fileApp(path: path, headers: [("Content-Length", "260")], reads: Counter(), closes: closes))
        let client = try harness.client()
        try client.send("HEAD / HTTP/1.1\r\nHost: test\r\n\r\n")
        #expect(try client.readResponse(head: true).header("Content-Length") == "260")
        try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        #expect(try client.readResponse().body == Self.content)
        #expect(eventually { closes.count == 2 })
        harness.finish()
    }
}
