import Foundation
import Glibc

/// A blocking TCP client that speaks raw bytes, for tests that must control exactly what goes on
/// the wire (splits, pipelining, malformed input, half-closes) and see exactly what comes back.
public final class RawClient {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    public let fd: Int32
    /// Bytes received and not yet consumed by a `read...` call.
    public private(set) var pending: [UInt8] = []

    /// - Parameter receiveBuffer: SO_RCVBUF set before connecting (small values make a slow reader).
    public init(port: Int, host: String = "127.0.0.1", receiveBuffer: Int? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket: \(errno)") }
        if let receiveBuffer {
            var size = Int32(receiveBuffer)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        // A failed init still runs `deinit`, which closes the descriptor: closing it here too
        // would close a number another thread of the test process may have opened meanwhile.
        guard status == 0 else { throw Failure("connect to \(host):\(port): errno \(errno)") }
    }

    /// Connects to the unix socket at `path`.
    public init(unixSocket path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket: \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path.utf8.prefix($0.count - 1)) }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard status == 0 else { throw Failure("connect to unix:\(path): errno \(errno)") }
    }

    /// Set once the descriptor is closed: `deinit` must not close the number again (by then it may
    /// belong to another socket of this test process).
    private var closed = false

    deinit { close() }

    /// Closes the connection (FIN).
    public func close() {
        guard !closed, fd >= 0 else { return }
        closed = true
        Glibc.close(fd)
    }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Sends `request` and reads its response.
    public func exchange(_ request: String) throws -> HTTPResponse {
        try send(request)
        return try readResponse(head: request.hasPrefix("HEAD "))
    }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw Failure("send failed: errno \(errno)") }
            offset += count
        }
    }

    /// Sends as much of `bytes` as the socket takes within `timeout` seconds (a peer that stops
    /// reading fills it); returns how many bytes went.
    public func send(_ bytes: [UInt8], within timeout: Double) throws -> Int {
        var offset = 0
        var watched = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        while offset < bytes.count {
            guard poll(&watched, 1, Int32(timeout * 1000)) > 0 else { break }
            let count = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            if count < 0 && errno == EAGAIN { continue }
            guard count > 0 else { throw Failure("send failed: errno \(errno)") }
            offset += count
        }
        return offset
    }

    /// The port of this end of the connection (TCP).
    public var localPort: Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Sends FIN (the client is done sending, still reading).
    public func shutdownWrite() { Glibc.shutdown(fd, Int32(SHUT_WR)) }

    /// Closes with RST instead of FIN (SO_LINGER 0).
    public func reset() {
        guard !closed else { return }
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close()
    }

    /// Receives once (up to `max` bytes) within `timeout`; empty at EOF. Throws on timeout.
    @discardableResult
    public func receiveSome(max: Int = 65536, timeout: Double = 5) throws -> [UInt8] {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, Int32(timeout * 1000))
        guard ready > 0 else { throw Failure("no data within \(timeout)s (have \(pending.count) bytes pending)") }
        var buffer = [UInt8](repeating: 0, count: max)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, max, 0) }
        if count < 0 {
            if errno == ECONNRESET { return [] }
            throw Failure("recv failed: errno \(errno)")
        }
        let got = Array(buffer[0..<count])
        pending += got
        return got
    }

    /// The bytes received and not consumed, taken (for a layer above: ``TLSClient``).
    public func takePending() -> [UInt8] {
        defer { pending = [] }
        return pending
    }

    /// Receives until the pending bytes contain `needle`; returns them (not consumed).
    @discardableResult
    public func receive(until needle: [UInt8], timeout: Double = 5) throws -> [UInt8] {
        let deadline = Date().addingTimeInterval(timeout)
        while pending.firstRange(of: needle) == nil {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { throw Failure("\(String(decoding: needle, as: UTF8.self).debugDescription) not received within \(timeout)s") }
            if try receiveSome(timeout: remaining).isEmpty {
                throw Failure("closed before \(String(decoding: needle, as: UTF8.self).debugDescription) (got \(String(decoding: pending, as: UTF8.self).debugDescription))")
            }
        }
        return pending
    }

    @discardableResult
    public func receive(until text: String, timeout: Double = 5) throws -> [UInt8] {
        try receive(until: Array(text.utf8), timeout: timeout)
    }

    /// Reads until the peer closes (or `timeout`); returns everything pending.
    public func readToEOF(timeout: Double = 5) throws -> [UInt8] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { throw Failure("peer did not close within \(timeout)s") }
            if try receiveSome(timeout: remaining).isEmpty { break }
        }
        defer { pending = [] }
        return pending
    }

    /// True when the peer has closed the connection within `timeout` (any unread data is consumed).
    public func isClosedByPeer(timeout: Double = 5) -> Bool {
        (try? readToEOF(timeout: timeout)) != nil
    }

    /// Reads one complete HTTP response (Content-Length, chunked, or until close).
    public func readResponse(timeout: Double = 5, head: Bool = false) throws -> HTTPResponse {
        let deadline = Date().addingTimeInterval(timeout)
        var closed = false
        while true {
            if let (response, used) = try HTTPResponse.parse(pending, head: head, atEOF: closed) {
                pending.removeFirst(used)
                return response
            }
            if closed {
                let what = HTTPResponse.endOfHead(pending) == nil ? "a response head" : "the end of the response"
                throw Failure("connection closed before \(what): \(String(decoding: pending, as: UTF8.self).debugDescription)")
            }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { throw Failure("incomplete response within \(timeout)s: \(String(decoding: pending, as: UTF8.self).debugDescription)") }
            closed = try receiveSome(timeout: remaining).isEmpty
        }
    }
}

/// A parsed HTTP response.
public struct HTTPResponse: CustomStringConvertible, Sendable {
    public var version: String
    public var status: Int
    public var reason: String
    public var headers: [(String, String)]
    public var body: [UInt8] = []

    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// Every value of header `name`.
    public func headers(named name: String) -> [String] {
        headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1)
    }

    public var contentLength: Int? { header("Content-Length").flatMap { Int($0) } }
    public var isChunked: Bool { header("Transfer-Encoding")?.lowercased().contains("chunked") ?? false }

    public var description: String { "\(status) \(reason) \(headers) \(bodyText.prefix(200).debugDescription)" }

    /// The response at the start of `bytes` (Content-Length, chunked, or delimited by the end of
    /// the connection) and the number of bytes it takes; nil when `bytes` hold less than one.
    /// - Parameters:
    ///   - head: the response answers HEAD (no body whatever its headers say).
    ///   - atEOF: the connection ended after `bytes`.
    public static func parse(_ bytes: [UInt8], head: Bool = false, atEOF: Bool = false) throws -> (HTTPResponse, used: Int)? {
        guard let headEnd = endOfHead(bytes) else { return nil }
        var response = try HTTPResponse(head: Array(bytes[0..<headEnd]))
        let rest = Array(bytes[headEnd...])
        if head || response.status == 204 || response.status == 304 || response.status < 200 {
            return (response, headEnd)
        } else if let length = response.contentLength {
            guard rest.count >= length else { return nil }
            response.body = Array(rest[0..<length])
            return (response, headEnd + length)
        } else if response.isChunked {
            var decoder = ChunkedDecoder()
            guard let (body, used) = try decoder.decode(rest) else { return nil }
            response.body = body
            return (response, headEnd + used)
        } else {
            guard atEOF else { return nil }
            response.body = rest
            return (response, bytes.count)
        }
    }

    static func endOfHead(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index + 4
        }
        return nil
    }

    init(head: [UInt8]) throws {
        let text = String(decoding: head, as: UTF8.self)
        var lines = text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        guard !lines.isEmpty else { throw RawClient.Failure("empty response head") }
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2).map(String.init)
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw RawClient.Failure("bad status line in \(text.debugDescription)") }
        version = statusLine[0]
        self.status = status
        reason = statusLine.count > 2 ? statusLine[2] : ""
        headers = lines.map { line in
            let parts = line.split(separator: ":", maxSplits: 1).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "")
        }
    }
}

/// Decodes a complete chunked body (strictly: a malformed one throws).
struct ChunkedDecoder {
    /// The body and the bytes used, or nil when `bytes` does not hold the whole body yet.
    mutating func decode(_ bytes: [UInt8]) throws -> ([UInt8], Int)? {
        var body: [UInt8] = []
        var index = 0
        while true {
            guard let lineEnd = find(bytes, from: index) else { return nil }
            let sizeText = String(decoding: bytes[index..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText, radix: 16) else { throw RawClient.Failure("bad chunk size \(sizeText.debugDescription)") }
            index = lineEnd + 2
            if size == 0 {
                // Trailers end with an empty line.
                while true {
                    guard let end = find(bytes, from: index) else { return nil }
                    let empty = end == index
                    index = end + 2
                    if empty { return (body, index) }
                }
            }
            guard bytes.count >= index + size + 2 else { return nil }
            body += bytes[index..<index + size]
            guard bytes[index + size] == 13, bytes[index + size + 1] == 10 else { throw RawClient.Failure("chunk not followed by CRLF") }
            index += size + 2
        }
    }

    private func find(_ bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= 2, start <= bytes.count - 2 else { return nil }
        for index in start...(bytes.count - 2) where bytes[index] == 13 && bytes[index + 1] == 10 { return index }
        return nil
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on now, for programs that need a number before
/// they start (nginx, `--metrics-bind`); another process could take it meanwhile, which on a test
/// machine does not happen.
public func freeTCPPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw RawClient.Failure("socket: errno \(errno)") }
    defer { Glibc.close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    guard bound == 0 else { throw RawClient.Failure("bind: errno \(errno)") }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}
