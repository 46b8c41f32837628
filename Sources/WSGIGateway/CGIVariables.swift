import HTTP1Parser
import HTTPServerCore
import SharedBytes

/// The CGI variables of one request, as PEP 3333 asks a server to put them in the environ, computed
/// from the parser's head: the field table gives every header's name and value as offsets, so the
/// head's bytes are never scanned again. One mapping for every application runtime: the lazy Swift
/// environ looks variables up one at a time, a Python dict builder visits them all.
///
/// The rules (each value is request bytes, delivered raw: decode them 1:1 as ISO-8859-1 to get
/// PEP 3333's native strings):
/// - `SCRIPT_NAME` + `PATH_INFO`: the target's path, `%XX`-decoded, split at the mount point
///   (`scriptName`). A path outside the mount point (`/other`, or `/appx` for `/app`) keeps
///   `SCRIPT_NAME` empty and the whole path in `PATH_INFO`, so the two still add up to the URL asked
///   for. Authority- and asterisk-form targets have an empty path.
/// - `QUERY_STRING`: the raw bytes after the first `?`, or empty.
/// - `CONTENT_TYPE` from the Content-Type field; `CONTENT_LENGTH` is the length the parser framed
///   the body by (one number even when the field was repeated; absent for chunked bodies).
/// - `HTTP_*` for every other field: the name upper-cased with `-` as `_`; repeated fields joined
///   with `,` in order; names containing `_` dropped, so that `X_Forwarded_For` cannot pose as
///   `X-Forwarded-For`.
/// - `SERVER_NAME`: the configured host, or the address the client connected to when the server
///   listens on a wildcard address; `SERVER_PORT`, `REMOTE_ADDR`, `REMOTE_PORT` from the socket.
///
/// A view over borrowed bytes: use it while ``bytes`` are valid. Values handed to closures are valid
/// only during the call.
public struct CGIVariables {
    let head: RequestHead
    let bytes: UnsafeRawBufferPointer
    let connection: ConnectionInfo
    let server: ServerInfo
    let mountPoint: Bytes

    /// - Parameters:
    ///   - head: the parsed head; its ranges are offsets into `bytes`.
    ///   - bytes: the head's bytes.
    ///   - scriptName: the application's mount point as ISO-8859-1 bytes ("" at the root).
    public init(head: RequestHead, bytes: UnsafeRawBufferPointer, connection: ConnectionInfo, server: ServerInfo, scriptName: Bytes) {
        self.head = head
        self.bytes = bytes
        self.connection = connection
        self.server = server
        self.mountPoint = scriptName
    }

    // MARK: Visiting every variable

    /// Calls `body` with every variable the request sets, fixed variables first, then one `HTTP_*`
    /// per distinct header field name.
    public func forEach(_ body: (CGIName, UnsafeRawBufferPointer) throws -> Void) rethrows {
        for variable in CGIVariable.allCases {
            try withValue(of: variable) { try body(.variable(variable), $0) }
        }
        for (index, field) in head.fields.enumerated() {
            let name = self[field.name]
            guard Self.headerField(name) == .http, !isRepeat(index) else { continue }
            try withJoinedValues(from: index, matching: { Self.sameName($0, name) }) { try body(.header(fieldName: name), $0) }
        }
    }

    // MARK: Looking one up

    /// Calls `body` with the value of `variable`; nil when the request does not set it
    /// (`CONTENT_TYPE` without the field, `CONTENT_LENGTH` without a fixed length).
    @discardableResult
    public func withValue<R>(of variable: CGIVariable, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        switch variable {
        case .requestMethod: return try body(self[head.method])
        case .scriptName: return try withPath { scriptName, _ in try body(scriptName) }
        case .pathInfo: return try withPath { _, pathInfo in try body(pathInfo) }
        case .queryString: return try body(head.query.map { self[$0] } ?? UnsafeRawBufferPointer(start: nil, count: 0))
        case .contentType:
            guard let index = head.fields.firstIndex(where: { Self.headerField(self[$0.name]) == .contentType }) else { return nil }
            return try withJoinedValues(from: index, matching: { Self.headerField($0) == .contentType }, body)
        case .contentLength:
            guard let length = head.contentLength else { return nil }
            return try Self.withDecimal(length, body)
        case .serverName:
            let host = server.host
            let isWildcard = host.isEmpty || host == "0.0.0.0" || host == "::"
            return try Self.withUTF8(isWildcard ? connection.localAddress : host, body)
        case .serverPort: return try Self.withDecimal(connection.localPort, body)
        case .serverProtocol: return try Self.withUTF8(head.version == .http1_1 ? "HTTP/1.1" : "HTTP/1.0", body)
        case .serverSoftware: return try Self.withUTF8(server.software, body)
        case .gatewayInterface: return try Self.withUTF8("CGI/1.1", body)
        case .remoteAddr: return try Self.withUTF8(connection.remoteAddress, body)
        case .remotePort: return try Self.withDecimal(connection.remotePort, body)
        case .requestURI, .rawURI: return try body(self[head.target])
        }
    }

    /// Calls `body` with the value of the `HTTP_*` variable `key` (e.g. `HTTP_USER_AGENT`); nil
    /// when no field maps to it.
    @discardableResult
    public func withHeaderValue<R>(forKey key: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        var key = key
        return try key.withUTF8 { key -> R? in
            let prefix = "HTTP_".utf8
            guard key.count > prefix.count, key.starts(with: prefix) else { return nil }
            let suffix = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(key)[prefix.count...])
            let matches = { (name: UnsafeRawBufferPointer) in Self.headerField(name) == .http && Self.name(name, mapsTo: suffix) }
            guard let index = head.fields.firstIndex(where: { matches(self[$0.name]) }) else { return nil }
            return try withJoinedValues(from: index, matching: matches, body)
        }
    }

    // MARK: Header keys

    /// Calls `body` with the environ key of the header field `fieldName`: `HTTP_` and the name
    /// upper-cased with `-` as `_` (ASCII: field names are tokens).
    public static func withHeaderKey<R>(fieldName: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeTemporaryAllocation(byteCount: 5 + fieldName.count, alignment: 1) { key in
            let prefix: StaticString = "HTTP_"
            key.copyMemory(from: UnsafeRawBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount))
            for (offset, byte) in fieldName.enumerated() { key[5 + offset] = keyByte(byte) }
            return try body(UnsafeRawBufferPointer(key))
        }
    }

    /// The environ key of the header field `fieldName`, as a string.
    public static func headerKey(fieldName: UnsafeRawBufferPointer) -> String {
        withHeaderKey(fieldName: fieldName) { String(decoding: $0, as: UTF8.self) }
    }

    // MARK: Path

    /// SCRIPT_NAME and PATH_INFO: the decoded path split at the mount point.
    private func withPath<R>(_ body: (_ scriptName: UnsafeRawBufferPointer, _ pathInfo: UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try PercentDecoding.withDecoded(self[head.path]) { path in
            let mount = mountPoint.stableBytes
            let empty = UnsafeRawBufferPointer(start: nil, count: 0)
            guard !mount.isEmpty, path.count >= mount.count,
                  path.starts(with: mount),
                  path.count == mount.count || path[mount.count] == UInt8(ascii: "/") else {
                return try body(empty, path)
            }
            return try withExtendedLifetime(mountPoint) {
                try body(mount, UnsafeRawBufferPointer(rebasing: path[mount.count...]))
            }
        }
    }

    // MARK: Fields

    private subscript(range: Range<Int>) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[range]) }

    /// What a header field becomes in the environ.
    private enum HeaderField {
        case contentType
        /// CONTENT_LENGTH comes from the parser's framing, not from the field.
        case contentLength
        case http
        /// A name with `_`: dropped.
        case dropped
    }

    private static func headerField(_ name: UnsafeRawBufferPointer) -> HeaderField {
        if name.contains(UInt8(ascii: "_")) { return .dropped }
        switch name.count {
        case 12 where sameName(name, "content-type"): return .contentType
        case 14 where sameName(name, "content-length"): return .contentLength
        default: return .http
        }
    }

    /// Whether an earlier field has the same name as field `index` (then that one carried it).
    private func isRepeat(_ index: Int) -> Bool {
        let name = self[head.fields[index].name]
        for earlier in 0..<index where Self.sameName(self[head.fields[earlier].name], name) { return true }
        return false
    }

    /// Calls `body` with the value of field `first` joined by `,` with those of the later fields
    /// that `matching` accepts.
    private func withJoinedValues<R>(
        from first: Int, matching: (UnsafeRawBufferPointer) -> Bool, _ body: (UnsafeRawBufferPointer) throws -> R
    ) rethrows -> R {
        let fields = head.fields
        var total = 0
        var count = 0
        for index in first..<fields.count where matching(self[fields[index].name]) {
            total += fields[index].value.count
            count += 1
        }
        guard count > 1 else { return try body(self[fields[first].value]) }
        return try withUnsafeTemporaryAllocation(byteCount: total + count - 1, alignment: 1) { joined in
            var offset = 0
            for index in first..<fields.count where matching(self[fields[index].name]) {
                if offset > 0 {
                    joined[offset] = UInt8(ascii: ",")
                    offset += 1
                }
                let value = self[fields[index].value]
                UnsafeMutableRawBufferPointer(rebasing: joined[offset..<offset + value.count]).copyMemory(from: value)
                offset += value.count
            }
            return try body(UnsafeRawBufferPointer(joined))
        }
    }

    /// Field names compare without case (they are tokens: ASCII).
    private static func sameName(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        for index in 0..<a.count where lower(a[index]) != lower(b[index]) { return false }
        return true
    }

    private static func sameName(_ name: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        sameName(name, UnsafeRawBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount))
    }

    /// Whether field `name` becomes the key suffix `suffix` (what follows `HTTP_`).
    private static func name(_ name: UnsafeRawBufferPointer, mapsTo suffix: UnsafeRawBufferPointer) -> Bool {
        guard name.count == suffix.count else { return false }
        for index in 0..<name.count where keyByte(name[index]) != suffix[index] { return false }
        return true
    }

    private static func lower(_ byte: UInt8) -> UInt8 { byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte }

    /// A field-name byte as it appears in its environ key: upper case, `-` as `_`.
    private static func keyByte(_ byte: UInt8) -> UInt8 {
        if byte == UInt8(ascii: "-") { return UInt8(ascii: "_") }
        return byte &- UInt8(ascii: "a") < 26 ? byte - 32 : byte
    }

    // MARK: Values the server holds

    private static func withUTF8<R>(_ text: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var text = text
        return try text.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
    }

    private static func withDecimal<R>(_ value: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeTemporaryAllocation(byteCount: 20, alignment: 1) { digits in
            var rest = max(0, value)
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            return try body(UnsafeRawBufferPointer(rebasing: digits[start...]))
        }
    }
}
