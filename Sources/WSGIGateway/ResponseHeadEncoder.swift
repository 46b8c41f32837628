import HTTPServerCore
import SharedBytes
import WSGI

/// Checks the status and headers an application passed to `start_response` (PEP 3333 and RFC 9110,
/// the rules of ``ResponseRules``) and encodes them as the core's ``ResponseHead``: a bad status
/// line, an invalid header name or value, a scalar above U+00FF, a hop-by-hop header, a second or
/// malformed Content-Length are the ``WSGIError`` naming the problem. A Content-Length on a status
/// that forbids one (1xx, 204) is dropped, as the core would never send it.
///
/// One implementation over UTF-8 bytes, so that every runtime checks the same way: Swift strings
/// go through ``encode(status:headers:)``, a Python host feeds the UTF-8 of its `str` objects to a
/// ``ResponseHeadBuilder``.
public enum ResponseHeadEncoder {
    /// The head for `status` and `headers`.
    public static func encode(status: String, headers: ResponseHeaders) throws -> ResponseHead {
        var status = status
        let builder = try status.withUTF8 { try ResponseHeadBuilder(statusUTF8: UnsafeRawBufferPointer($0)) }
        for (name, value) in headers {
            var name = name
            var value = value
            try name.withUTF8 { name in
                try value.withUTF8 { value in try builder.add(nameUTF8: UnsafeRawBufferPointer(name), valueUTF8: UnsafeRawBufferPointer(value)) }
            }
        }
        return builder.finish()
    }
}

/// Builds a ``ResponseHead`` from UTF-8 text, checking each piece as it is added.
///
/// It owns the memory the head is encoded into, handed to the head by ``finish()`` or freed with the
/// builder if building stops at an error. Use it on one thread.
public final class ResponseHeadBuilder {
    private var memory: UnsafeMutableRawPointer?
    private var capacity: Int
    private var count = 0
    private let status: Int
    private let dropsLength: Bool
    private var contentLength: Int?
    private var hasDate = false
    private var hasServer = false

    /// Starts a head with the status line `statusUTF8` (e.g. `200 OK`).
    public init(statusUTF8: UnsafeRawBufferPointer) throws {
        status = try ResponseRules.statusCode(utf8: statusUTF8)
        dropsLength = ResponseHead.forbidsContentLength(status: status)
        capacity = max(256, statusUTF8.count + 2)
        memory = .allocate(byteCount: capacity, alignment: 16)
        appendLatin1(statusUTF8)
        append("\r\n")
    }

    deinit { memory?.deallocate() }

    /// Adds the header `name: value`.
    public func add(nameUTF8 name: UnsafeRawBufferPointer, valueUTF8 value: UnsafeRawBufferPointer) throws {
        switch try ResponseRules.classify(nameUTF8: name, valueUTF8: value) {
        case .contentLength:
            // A second Content-Length, even an equal one, would give the client two framings.
            guard contentLength == nil, let length = Self.decimal(value) else {
                throw WSGIError.invalidHeaderValue(name: String(decoding: name, as: UTF8.self))
            }
            contentLength = length
            if dropsLength { return }
        case .date: hasDate = true
        case .server: hasServer = true
        case .other: break
        }
        appendLatin1(name)
        append(": ")
        appendLatin1(value)
        append("\r\n")
    }

    /// The head; call once, last.
    public func finish() -> ResponseHead {
        let lines = ByteStorage(adopting: memory!, count: count)
        memory = nil
        return ResponseHead(
            status: status, lines: Bytes(lines), contentLength: dropsLength ? nil : contentLength,
            hasDate: hasDate, hasServer: hasServer
        )
    }

    /// `1*DIGIT` as an Int; nil for anything else (signs, spaces, overflow).
    private static func decimal(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18, bytes.allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }) else { return nil }
        return bytes.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }

    private func reserve(_ extra: Int) {
        guard count + extra > capacity else { return }
        capacity = max(capacity * 2, count + extra)
        let grown = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        grown.copyMemory(from: memory!, byteCount: count)
        memory!.deallocate()
        memory = grown
    }

    private func append(_ literal: StaticString) {
        reserve(literal.utf8CodeUnitCount)
        (memory! + count).copyMemory(from: literal.utf8Start, byteCount: literal.utf8CodeUnitCount)
        count += literal.utf8CodeUnitCount
    }

    /// Appends ISO-8859-1 bytes for checked UTF-8 text: every scalar is at most U+00FF, so a C2 or
    /// C3 lead byte and its continuation become one byte.
    private func appendLatin1(_ utf8: UnsafeRawBufferPointer) {
        reserve(utf8.count)
        guard utf8.contains(where: { $0 >= 0x80 }) else {
            if let base = utf8.baseAddress, !utf8.isEmpty { (memory! + count).copyMemory(from: base, byteCount: utf8.count) }
            count += utf8.count
            return
        }
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte < 0x80 {
                memory!.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
                index += 1
            } else {
                memory!.storeBytes(of: (byte & 0x03) << 6 | (utf8[index + 1] & 0x3F), toByteOffset: count, as: UInt8.self)
                index += 2
            }
            count += 1
        }
    }
}
