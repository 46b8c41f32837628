import HTTP1Parser
import HTTPServerCore
import WSGI

/// Builds the environ of one request (PEP 3333 "environ Variables"). Every key set here is listed
/// in docs/ENVIRON.md.
///
/// Strings follow the "native string" rule: request bytes decoded 1:1 as ISO-8859-1. PATH_INFO is
/// percent-decoded first; QUERY_STRING stays raw. Header fields become HTTP_* (upper case, `-` to
/// `_`); Content-Type becomes CONTENT_TYPE; CONTENT_LENGTH is the length the parser framed the body
/// by (one number even when the field was repeated, absent for chunked bodies); names containing
/// `_` are dropped (so `X_Forwarded_For` cannot pose as `X-Forwarded-For`); repeated fields are
/// joined with `,`.
struct EnvironBuilder: Sendable {
    /// SCRIPT_NAME of the mounted application ("" at the root).
    let scriptName: String
    let errors: ErrorLog
    let extra: [String: String]
    private static let fileWrapper = EnvironValue.fileWrapper(FileWrapperFactory())

    func environ(for request: IncomingRequest) -> Environ {
        let head = request.head
        var environ = Environ(minimumCapacity: 24 + extra.count + head.fields.count)
        let (script, path) = scriptNameAndPathInfo(request)
        environ["REQUEST_METHOD"] = request.latin1(head.method)
        environ["SCRIPT_NAME"] = script
        environ["PATH_INFO"] = path
        environ["QUERY_STRING"] = head.query.map { request.latin1($0) } ?? ""
        environ["RAW_URI"] = request.latin1(head.target)
        environ["REQUEST_URI"] = request.latin1(head.target)
        environ["SERVER_PROTOCOL"] = head.version == .http1_1 ? "HTTP/1.1" : "HTTP/1.0"
        environ["SERVER_NAME"] = serverName(request)
        environ["SERVER_PORT"] = String(request.connection.localPort)
        environ["REMOTE_ADDR"] = request.connection.remoteAddress
        environ["REMOTE_PORT"] = String(request.connection.remotePort)
        environ["SERVER_SOFTWARE"] = request.server.software
        environ["GATEWAY_INTERFACE"] = "CGI/1.1"
        addFields(request, to: &environ)
        // Not the field's text: identical repeated fields (which RFC 9112 lets the parser accept)
        // would join into "5,5", which is no number.
        if let length = head.contentLength { environ["CONTENT_LENGTH"] = String(length) }

        environ.version = (1, 0)
        environ.urlScheme = request.server.urlScheme
        environ.input = request.body
        environ.errors = errors
        environ.multithread = request.server.multithread
        environ.multiprocess = request.server.multiprocess
        environ.runOnce = false
        // Our input always ends exactly at the end of the body, de-chunked or not.
        environ.inputTerminated = true
        environ[value: "wsgi.file_wrapper"] = EnvironBuilder.fileWrapper
        // Last, and only where the request set nothing: a deployer's entry must neither replace
        // nor (for an HTTP_* key) be joined with what the client sent.
        for (key, value) in extra where !environ.contains(key) { environ[key] = value }
        return environ
    }

    /// SCRIPT_NAME and PATH_INFO: the decoded path split at the mount point. For an absolute-form
    /// target, its path; for authority (CONNECT) and asterisk (OPTIONS *) forms, empty.
    ///
    /// A path that is not under the mount point (`/other`, or `/appx` for `/app`) cannot be split
    /// there: SCRIPT_NAME is then empty and PATH_INFO the whole path, so that the two still add up
    /// to the URL asked for (what `wsgiref.util.request_uri` rebuilds) rather than claiming the
    /// request was for `/app/other`.
    private func scriptNameAndPathInfo(_ request: IncomingRequest) -> (String, String) {
        let path = PercentDecoding.decodedLatin1(request.bytes(request.head.path))
        guard !scriptName.isEmpty, path.utf8.starts(with: scriptName.utf8) else { return ("", path) }
        let rest = path.utf8.dropFirst(scriptName.utf8.count)
        guard rest.isEmpty || rest.first == UInt8(ascii: "/") else { return ("", path) }
        return (scriptName, String(decoding: rest, as: UTF8.self))
    }

    /// The configured host, unless it is a wildcard: then the address the client connected to.
    private func serverName(_ request: IncomingRequest) -> String {
        let host = request.server.host
        if host.isEmpty || host == "0.0.0.0" || host == "::" { return request.connection.localAddress }
        return host
    }

    private func addFields(_ request: IncomingRequest, to environ: inout Environ) {
        for field in request.head.fields {
            let name = request.bytes(field.name)
            guard let key = EnvironBuilder.key(forFieldName: name), key != "CONTENT_LENGTH" else { continue }
            let value = request.latin1(field.value)
            if let existing = environ[key] {
                environ[key] = existing + "," + value
            } else {
                environ[key] = value
            }
        }
    }

    /// `Content-Type` → CONTENT_TYPE, `Content-Length` → CONTENT_LENGTH, `X-Foo` → HTTP_X_FOO;
    /// nil for names containing `_`.
    static func key(forFieldName name: UnsafeRawBufferPointer) -> String? {
        if name.contains(UInt8(ascii: "_")) { return nil }
        if equalsLowercased(name, "content-type") { return "CONTENT_TYPE" }
        if equalsLowercased(name, "content-length") { return "CONTENT_LENGTH" }
        var key = [UInt8]("HTTP_".utf8)
        key.reserveCapacity(5 + name.count)
        for byte in name {
            switch byte {
            case UInt8(ascii: "-"): key.append(UInt8(ascii: "_"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): key.append(byte - 32)
            default: key.append(byte)
            }
        }
        // Field names are tokens (ASCII), so this is valid UTF-8 and the native string it must be.
        return String(decoding: key, as: UTF8.self)
    }

    private static func equalsLowercased(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        for index in 0..<bytes.count where bytes[index] | 0x20 != lowercase.utf8Start[index] && bytes[index] != lowercase.utf8Start[index] {
            return false
        }
        return true
    }
}
