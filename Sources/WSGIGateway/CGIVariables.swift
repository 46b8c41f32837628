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
///   listens on a wildcard address; `SERVER_PORT`, `REMOTE_ADDR`, `REMOTE_PORT` from the socket,
///   except that a trusted proxy's forwarding headers name the client (``forwarded``).
///
/// A view: the head (with its field table), its bytes and the context are borrowed, so copying it
/// costs nothing; use it while they are valid. Values handed to closures are valid only during the
/// call. The closures are not generic, so that calls from other modules run specialized code.
public struct CGIVariables {
    /// The parsed head; its ranges are offsets into ``bytes``.
    public let head: RequestHead
    /// The head's bytes.
    public let bytes: UnsafeRawBufferPointer
    /// Unowned: the caller keeps the context alive while it uses the view (a strong reference would
    /// be counted on every copy of this value).
    public unowned(unsafe) let context: CGIContext
    /// The context's mount point (valid while the context is), read for every path.
    let mountPoint: UnsafeRawBufferPointer
    /// The request's queue-time stamp, microseconds since the epoch; 0: none
    /// (``IncomingRequest/receivedAt``).
    let receivedAt: UInt64

    public init(head: RequestHead, bytes: UnsafeRawBufferPointer, context: CGIContext, receivedAt: UInt64 = 0) {
        self.head = head
        self.bytes = bytes
        self.context = context
        self.receivedAt = receivedAt
        mountPoint = context.mountPoint.stableBytes
    }

    // MARK: Visiting every variable

    /// Calls `body` with every variable the request sets, fixed variables first, then one `HTTP_*`
    /// per distinct header field name.
    public func forEach(_ body: (CGIName, UnsafeRawBufferPointer) -> Void) {
        for variable in CGIVariable.allCases {
            withValue(of: variable) { body(.variable(variable), $0) }
        }
        forEachHeader { body(.header(fieldName: $0), $1) }
    }

    /// Calls `body` with the field name and value of every `HTTP_*` variable (one per distinct
    /// header field name, repeated fields joined; see ``withHeaderKey(fieldName:_:)`` for the key).
    public func forEachHeader(_ body: (_ fieldName: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Void) {
        let stamps = stampsRequestStart
        for (index, field) in head.fields.enumerated() {
            let name = self[field.name]
            guard Self.headerField(name) == .http, !isRepeat(index) else { continue }
            if stamps && Self.sameName(name, Self.requestStartName) { continue }
            withJoinedValues(from: index, matching: { Self.sameName($0, name) }) { body(name, $0) }
        }
        if stamps {
            let name = UnsafeRawBufferPointer(start: Self.requestStartName.utf8Start, count: Self.requestStartName.utf8CodeUnitCount)
            withRequestStamp { body(name, $0) }
        }
    }

    // MARK: Queue time

    /// `X-Request-Start`, the header APM agents read the queue time from.
    static let requestStartName: StaticString = "x-request-start"

    /// Whether this request carries the server's stamp as `X-Request-Start` (in place of one the
    /// client sent): stamping is on, and no trusted proxy set the header (a proxy's stamp is the
    /// earlier one).
    var stampsRequestStart: Bool {
        guard receivedAt != 0 else { return false }
        guard context.trustsForwardedHeaders else { return true }
        return !head.fields.contains { Self.sameName(self[$0.name], Self.requestStartName) }
    }

    /// Calls `body` with the stamp, `t=MICROSECONDS` (New Relic's form).
    private func withRequestStamp(_ body: (UnsafeRawBufferPointer) -> Void) {
        var text = "t=\(receivedAt)"
        text.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }

    // MARK: Looking one up

    /// Calls `body` with the value of `variable`. Returns false, without calling it, when the
    /// request does not set the variable (`CONTENT_TYPE` without the field, `CONTENT_LENGTH`
    /// without a fixed length, `REMOTE_ADDR` and `REMOTE_PORT` on a unix socket).
    @discardableResult
    public func withValue(of variable: CGIVariable, _ body: (UnsafeRawBufferPointer) -> Void) -> Bool {
        switch variable {
        case .requestMethod: body(self[head.method])
        case .scriptName: withPath { scriptName, _ in body(scriptName) }
        case .pathInfo: withPath { _, pathInfo in body(pathInfo) }
        case .queryString: body(head.query.map { self[$0] } ?? UnsafeRawBufferPointer(start: nil, count: 0))
        case .contentType:
            guard let index = head.fields.firstIndex(where: { Self.headerField(self[$0.name]) == .contentType }) else { return false }
            withJoinedValues(from: index, matching: { Self.headerField($0) == .contentType }, body)
        case .contentLength:
            guard let length = head.contentLength else { return false }
            Self.withDecimal(length, body)
        case .serverName: Self.withUTF8(context.serverName, body)
        case .serverPort: Self.withDecimal(context.connection.localPort, body)
        case .serverProtocol: head.version.serverProtocol.withUTF8Buffer { body(UnsafeRawBufferPointer($0)) }
        case .serverSoftware: Self.withUTF8(context.server.software, body)
        case .gatewayInterface: Self.withUTF8("CGI/1.1", body)
        case .remoteAddr:
            // A unix socket's peer has no address: only a proxy's headers give one.
            let connection = context.connection
            guard let address = forwarded?.client ?? (connection.isUnixSocket ? nil : connection.remoteAddress) else { return false }
            Self.withUTF8(address, body)
        case .remotePort:
            guard !context.connection.isUnixSocket else { return false }
            Self.withDecimal(context.connection.remotePort, body)
        case .requestURI, .rawURI: body(self[head.target])
        }
        return true
    }

    /// Calls `body` with the value of the `HTTP_*` variable `key` (e.g. `HTTP_USER_AGENT`). Returns
    /// false, without calling it, when no field maps to the key.
    @discardableResult
    public func withHeaderValue(forKey key: String, _ body: (UnsafeRawBufferPointer) -> Void) -> Bool {
        var key = key
        return key.withUTF8 { key -> Bool in
            let prefix = "HTTP_".utf8
            guard key.count > prefix.count, key.starts(with: prefix) else { return false }
            let suffix = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(key)[prefix.count...])
            if stampsRequestStart,
               Self.name(UnsafeRawBufferPointer(start: Self.requestStartName.utf8Start, count: Self.requestStartName.utf8CodeUnitCount), mapsTo: suffix) {
                withRequestStamp(body)
                return true
            }
            let matches = { (name: UnsafeRawBufferPointer) in Self.headerField(name) == .http && Self.name(name, mapsTo: suffix) }
            guard let index = head.fields.firstIndex(where: { matches(self[$0.name]) }) else { return false }
            withJoinedValues(from: index, matching: matches, body)
            return true
        }
    }

    /// The addresses of the request's connection, as the socket reports them.
    public var connection: ConnectionInfo { context.connection }

    // MARK: Proxies

    /// What the request's forwarding headers say, when its peer is a trusted proxy and they say
    /// something; nil otherwise (then nothing differs from what the socket says).
    public var forwarded: ForwardedHeaders? {
        guard context.trustsForwardedHeaders else { return nil }
        var forwarded: String?
        var forwardedFor: String?
        var forwardedProto: String?
        for (index, field) in head.fields.enumerated() {
            let name = self[field.name]
            let isForwarded = name.count == 9 && Self.sameName(name, "forwarded")
            let isFor = name.count == 15 && Self.sameName(name, "x-forwarded-for")
            let isProto = name.count == 17 && Self.sameName(name, "x-forwarded-proto")
            guard isForwarded || isFor || isProto, !isRepeat(index) else { continue }
            var value = ""
            withJoinedValues(from: index, matching: { Self.sameName($0, name) }) { value = Latin1.string($0) }
            if isForwarded { forwarded = value } else if isFor { forwardedFor = value } else { forwardedProto = value }
        }
        let allowList = context.server.forwardedAllowIPs
        let headers: ForwardedHeaders
        if let forwarded {
            headers = ForwardedHeaders(forwarded: forwarded, trusting: allowList)
        } else if forwardedFor != nil || forwardedProto != nil {
            headers = ForwardedHeaders(forwardedFor: forwardedFor, forwardedProto: forwardedProto, trusting: allowList)
        } else {
            return nil
        }
        return headers == ForwardedHeaders() ? nil : headers
    }

    // MARK: Header keys

    /// Calls `body` with the environ key of the header field `fieldName`: `HTTP_` and the name
    /// upper-cased with `-` as `_` (ASCII: field names are tokens).
    public static func withHeaderKey(fieldName: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        withUnsafeTemporaryAllocation(byteCount: 5 + fieldName.count, alignment: 1) { key in
            let prefix: StaticString = "HTTP_"
            key.copyMemory(from: UnsafeRawBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount))
            for (offset, byte) in fieldName.enumerated() { key[5 + offset] = keyByte(byte) }
            body(UnsafeRawBufferPointer(key))
        }
    }

    /// The environ key of the header field `fieldName`, as a string.
    public static func headerKey(fieldName: UnsafeRawBufferPointer) -> String {
        var key = ""
        withHeaderKey(fieldName: fieldName) { key = String(decoding: $0, as: UTF8.self) }
        return key
    }

    // MARK: Path

    /// Calls `body` with SCRIPT_NAME and PATH_INFO at once: the decoded path split at the mount
    /// point (decoded once for both).
    public func withPath(_ body: (_ scriptName: UnsafeRawBufferPointer, _ pathInfo: UnsafeRawBufferPointer) -> Void) {
        let mount = mountPoint
        PercentDecoding.withDecoded(self[head.path]) { path in
            guard !mount.isEmpty, path.count >= mount.count,
                  path.starts(with: mount),
                  path.count == mount.count || path[mount.count] == UInt8(ascii: "/") else {
                return body(UnsafeRawBufferPointer(start: nil, count: 0), path)
            }
            body(mount, UnsafeRawBufferPointer(rebasing: path[mount.count...]))
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
    private func withJoinedValues(
        from first: Int, matching: (UnsafeRawBufferPointer) -> Bool, _ body: (UnsafeRawBufferPointer) -> Void
    ) {
        let fields = head.fields
        var total = 0
        var count = 0
        for index in first..<fields.count where matching(self[fields[index].name]) {
            total += fields[index].value.count
            count += 1
        }
        guard count > 1 else { return body(self[fields[first].value]) }
        withUnsafeTemporaryAllocation(byteCount: total + count - 1, alignment: 1) { joined in
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
            body(UnsafeRawBufferPointer(joined))
        }
    }

    /// Field names compare without case (they are tokens: ASCII).
    private static func sameName(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        ASCIICase.equal(a, b)
    }

    private static func sameName(_ name: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        ASCIICase.equal(name, lowercase: lowercase)
    }

    /// Whether field `name` becomes the key suffix `suffix` (what follows `HTTP_`).
    private static func name(_ name: UnsafeRawBufferPointer, mapsTo suffix: UnsafeRawBufferPointer) -> Bool {
        guard name.count == suffix.count else { return false }
        for index in 0..<name.count where keyByte(name[index]) != suffix[index] { return false }
        return true
    }


    /// A field-name byte as it appears in its environ key: upper case, `-` as `_`.
    private static func keyByte(_ byte: UInt8) -> UInt8 {
        if byte == UInt8(ascii: "-") { return UInt8(ascii: "_") }
        return byte &- UInt8(ascii: "a") < 26 ? byte - 32 : byte
    }

    // MARK: Values the server holds

    private static func withUTF8(_ text: String, _ body: (UnsafeRawBufferPointer) -> Void) {
        var text = text
        text.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }

    private static func withDecimal(_ value: Int, _ body: (UnsafeRawBufferPointer) -> Void) {
        withUnsafeTemporaryAllocation(byteCount: 20, alignment: 1) { digits in
            var rest = max(0, value)
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            body(UnsafeRawBufferPointer(rebasing: digits[start...]))
        }
    }
}
