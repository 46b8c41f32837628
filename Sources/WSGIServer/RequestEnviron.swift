import Glibc
import HTTP1Parser
import HTTPServerCore
import Logging
import WSGI

/// The environ of one request (PEP 3333 "environ Variables"), computed when read. Every key is
/// listed in docs/ENVIRON.md.
///
/// Building thirty strings and a dictionary for every request costs more than most applications'
/// work, and most read a handful of keys; so this keeps a copy of the request head and computes an
/// entry when it is asked for. The values are those a dictionary built up front would hold:
/// - strings are request bytes decoded 1:1 as ISO-8859-1 (PEP 3333's native strings);
/// - PATH_INFO is percent-decoded, QUERY_STRING raw;
/// - header fields become HTTP_* (upper case, `-` to `_`), repeated ones joined with `,`; names
///   containing `_` are dropped (so `X_Forwarded_For` cannot pose as `X-Forwarded-For`);
/// - Content-Type becomes CONTENT_TYPE; CONTENT_LENGTH is the length the parser framed the body by
///   (one number even when the field was repeated; absent for chunked bodies);
/// - deployer entries fill only keys the request left unset.
///
/// Immutable once built: any thread may read it.
final class RequestEnviron: EnvironSource {
    private let gateway: GatewayContext
    private let server: ServerInfo
    private let connection: ConnectionInfo
    private let body: RequestBody
    /// The head's bytes: the connection's buffer is reused for the next request.
    private let head: ByteStorage
    private let method: Range<Int>
    private let target: Range<Int>
    private let path: Range<Int>
    private let query: Range<Int>?
    /// Where the field lines start (after the request line).
    private let fieldsStart: Int
    private let isHTTP11: Bool
    private let contentLength: Int?

    init(_ request: borrowing IncomingRequest, gateway: GatewayContext) {
        let parsed = request.head
        let start = parsed.method.lowerBound
        let end = parsed.length
        head = ByteStorage(copying: UnsafeRawBufferPointer(rebasing: request.headBytes[start..<end]))
        method = parsed.method.shifted(by: -start)
        target = parsed.target.shifted(by: -start)
        path = parsed.path.shifted(by: -start)
        query = parsed.query?.shifted(by: -start)
        let requestLineEnd = UnsafeRawBufferPointer(start: head.base, count: head.count)[target.upperBound...]
            .firstIndex(of: UInt8(ascii: "\n")) ?? head.count - 1
        fieldsStart = requestLineEnd + 1
        isHTTP11 = parsed.version == .http1_1
        contentLength = parsed.contentLength
        self.gateway = gateway
        self.server = request.server
        self.connection = request.connection
        self.body = request.body
    }

    func value(forKey key: String) -> EnvironValue? {
        if let value = requestValue(forKey: key) { return value }
        return gateway.extra[key].map(EnvironValue.string)
    }

    /// The entries the request itself sets (before deployer entries).
    private func requestValue(forKey key: String) -> EnvironValue? {
        switch key {
        case "REQUEST_METHOD": return .string(latin1(method))
        case "PATH_INFO": return .string(scriptNameAndPathInfo().pathInfo)
        case "SCRIPT_NAME": return .string(scriptNameAndPathInfo().scriptName)
        case "QUERY_STRING": return .string(query.map(latin1) ?? "")
        case "SERVER_PROTOCOL": return .string(isHTTP11 ? "HTTP/1.1" : "HTTP/1.0")
        case "RAW_URI", "REQUEST_URI": return .string(latin1(target))
        case "SERVER_NAME": return .string(serverName)
        case "SERVER_PORT": return .string(String(connection.localPort))
        case "REMOTE_ADDR": return .string(connection.remoteAddress)
        case "REMOTE_PORT": return .string(String(connection.remotePort))
        case "SERVER_SOFTWARE": return .string(server.software)
        case "GATEWAY_INTERFACE": return .string("CGI/1.1")
        case "CONTENT_LENGTH": return contentLength.map { .string(String($0)) }
        case "CONTENT_TYPE": return field(matching: "CONTENT_TYPE").map(EnvironValue.string)
        case "wsgi.version": return .version(major: 1, minor: 0)
        case "wsgi.url_scheme": return .string(server.urlScheme)
        case "wsgi.input": return .input(body)
        case "wsgi.errors": return .errors(gateway.errors)
        case "wsgi.multithread": return .bool(server.multithread)
        case "wsgi.multiprocess": return .bool(server.multiprocess)
        case "wsgi.run_once": return .bool(false)
        // Our input always ends exactly at the end of the body, de-chunked or not.
        case "wsgi.input_terminated": return .bool(true)
        case "wsgi.file_wrapper": return GatewayContext.fileWrapper
        default:
            guard key.utf8.starts(with: "HTTP_".utf8) else { return nil }
            return field(matching: key).map(EnvironValue.string)
        }
    }

    var keys: [String] {
        var keys = RequestEnviron.fixedKeys
        if contentLength != nil { keys.append("CONTENT_LENGTH") }
        var fieldKeys = Set<String>()
        forEachField { name, _ in
            if let key = RequestEnviron.key(forFieldName: name), key != "CONTENT_LENGTH" { fieldKeys.insert(key) }
        }
        keys += fieldKeys
        let set = Set(keys)
        keys += gateway.extra.keys.filter { !set.contains($0) }
        return keys
    }

    private static let fixedKeys = [
        "REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "SERVER_PROTOCOL", "RAW_URI",
        "REQUEST_URI", "SERVER_NAME", "SERVER_PORT", "REMOTE_ADDR", "REMOTE_PORT", "SERVER_SOFTWARE",
        "GATEWAY_INTERFACE", "wsgi.version", "wsgi.url_scheme", "wsgi.input", "wsgi.errors",
        "wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once", "wsgi.input_terminated",
        "wsgi.file_wrapper",
    ]

    // MARK: Values

    private func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: head.base + range.lowerBound, count: range.count)
    }

    private func latin1(_ range: Range<Int>) -> String { Latin1.string(bytes(range)) }

    /// SCRIPT_NAME and PATH_INFO: the decoded path split at the mount point. For an absolute-form
    /// target, its path; for authority (CONNECT) and asterisk (OPTIONS *) forms, empty.
    ///
    /// A path that is not under the mount point (`/other`, or `/appx` for `/app`) cannot be split
    /// there: SCRIPT_NAME is then empty and PATH_INFO the whole path, so that the two still add up
    /// to the URL asked for (what `wsgiref.util.request_uri` rebuilds) rather than claiming the
    /// request was for `/app/other`.
    private func scriptNameAndPathInfo() -> (scriptName: String, pathInfo: String) {
        let decoded = PercentDecoding.decodedLatin1(bytes(path))
        let mount = gateway.scriptName
        guard !mount.isEmpty, decoded.utf8.starts(with: mount.utf8) else { return ("", decoded) }
        let rest = decoded.utf8.dropFirst(mount.utf8.count)
        guard rest.isEmpty || rest.first == UInt8(ascii: "/") else { return ("", decoded) }
        return (mount, String(decoding: rest, as: UTF8.self))
    }

    /// The configured host, unless it is a wildcard: then the address the client connected to.
    private var serverName: String {
        let host = server.host
        if host.isEmpty || host == "0.0.0.0" || host == "::" { return connection.localAddress }
        return host
    }

    /// The value of the fields whose environ key is `key` (repeated ones joined with `,`).
    private func field(matching key: String) -> String? {
        var joined: String?
        forEachField { name, value in
            guard RequestEnviron.fieldName(name, hasKey: key) else { return }
            let text = Latin1.string(value)
            joined = joined.map { $0 + "," + text } ?? text
        }
        return joined
    }

    /// Calls `body` with each field line's name and value (trimmed of SP and HTAB). The head was
    /// validated by the parser, so every line up to the empty one is `name ":" OWS value OWS`.
    private func forEachField(_ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Void) {
        let all = UnsafeRawBufferPointer(start: head.base, count: head.count)
        var lineStart = fieldsStart
        while lineStart < all.count {
            let rest = all[lineStart...]
            let newline = rest.firstIndex(of: UInt8(ascii: "\n")) ?? all.count
            var lineEnd = newline
            if lineEnd > lineStart && all[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
            if lineEnd == lineStart { return }  // the empty line ending the head
            let line = all[lineStart..<lineEnd]
            if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
                var valueStart = colon + 1
                var valueEnd = lineEnd
                while valueStart < valueEnd && (all[valueStart] == 0x20 || all[valueStart] == 0x09) { valueStart += 1 }
                while valueEnd > valueStart && (all[valueEnd - 1] == 0x20 || all[valueEnd - 1] == 0x09) { valueEnd -= 1 }
                body(UnsafeRawBufferPointer(rebasing: all[lineStart..<colon]), UnsafeRawBufferPointer(rebasing: all[valueStart..<valueEnd]))
            }
            lineStart = newline + 1
        }
    }

    /// `Content-Type` → CONTENT_TYPE, `Content-Length` → CONTENT_LENGTH, `X-Foo` → HTTP_X_FOO;
    /// nil for names containing `_`.
    static func key(forFieldName name: UnsafeRawBufferPointer) -> String? {
        if name.contains(UInt8(ascii: "_")) { return nil }
        if maps(name, to: "CONTENT_TYPE".utf8) { return "CONTENT_TYPE" }
        if maps(name, to: "CONTENT_LENGTH".utf8) { return "CONTENT_LENGTH" }
        var key = [UInt8]("HTTP_".utf8)
        key.reserveCapacity(5 + name.count)
        for byte in name { key.append(environByte(byte)) }
        // Field names are tokens (ASCII), so this is valid UTF-8 and the native string it must be.
        return String(decoding: key, as: UTF8.self)
    }

    /// Whether field `name` maps to environ `key` (as ``key(forFieldName:)`` would), without
    /// building the key.
    static func fieldName(_ name: UnsafeRawBufferPointer, hasKey key: String) -> Bool {
        guard !name.contains(UInt8(ascii: "_")) else { return false }
        var key = key
        return key.withUTF8 { key in
            if maps(name, to: "CONTENT_TYPE".utf8) { return key.elementsEqual("CONTENT_TYPE".utf8) }
            if maps(name, to: "CONTENT_LENGTH".utf8) { return key.elementsEqual("CONTENT_LENGTH".utf8) }
            guard key.count == name.count + 5, key.starts(with: "HTTP_".utf8) else { return false }
            return maps(name, to: UnsafeBufferPointer(rebasing: key[5...]))
        }
    }

    private static func maps(_ name: UnsafeRawBufferPointer, to key: some Collection<UInt8>) -> Bool {
        guard name.count == key.count else { return false }
        var index = 0
        for expected in key {
            if environByte(name[index]) != expected { return false }
            index += 1
        }
        return true
    }

    /// A field-name byte as it appears in an environ key: upper case, `-` as `_`.
    private static func environByte(_ byte: UInt8) -> UInt8 {
        if byte == UInt8(ascii: "-") { return UInt8(ascii: "_") }
        return byte &- UInt8(ascii: "a") < 26 ? byte - 32 : byte
    }
}

/// What every request of one server shares.
final class GatewayContext: Sendable {
    let application: Application
    /// SCRIPT_NAME of the mounted application ("" at the root).
    let scriptName: String
    /// Deployer entries for every environ.
    let extra: [String: String]
    let errors: ErrorLog
    let logger: Logger
    let checkedHeaders = HeaderCheckCache()

    static let fileWrapper = EnvironValue.fileWrapper(FileWrapperFactory())

    init(application: @escaping Application, scriptName: String, extra: [String: String], logger: Logger) {
        self.application = application
        self.scriptName = scriptName
        self.extra = extra
        self.errors = ErrorLog(logger: logger)
        self.logger = logger
    }
}

extension Range where Bound == Int {
    fileprivate func shifted(by offset: Int) -> Range<Int> { (lowerBound + offset)..<(upperBound + offset) }
}
