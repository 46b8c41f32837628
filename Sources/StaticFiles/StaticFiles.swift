import Glibc
import WSGI

/// A WSGI application serving the files under a directory, as whitenoise or nginx's `root` do:
/// GET and HEAD, the body sent with `sendfile(2)` through `wsgi.file_wrapper`, validators
/// (`ETag`, `Last-Modified`, answered 304 for `If-None-Match` / `If-Modified-Since`), one byte
/// range (206, or 416 when it lies past the end), `index.html` for a directory, and nothing outside
/// the directory: `..` segments, NUL bytes and symbolic links that lead out are 404.
///
/// ```swift
/// let site = StaticFiles(root: "/srv/site")
/// let app = PathDispatcher(["/static": site.application, "/": api])
/// ```
public struct StaticFiles: WSGIApplication, Sendable {
    /// The directory, resolved (symbolic links followed) once.
    public let root: String
    /// Served for a request naming a directory; nil: 404.
    public let indexFile: String?

    /// Serves `root`, which must be an existing directory.
    public init(root: String, indexFile: String? = "index.html") throws {
        guard let resolved = realpath(root, nil) else { throw File.OSError(call: "realpath \(root)", errno: errno) }
        defer { free(resolved) }
        self.root = String(cString: resolved)
        self.indexFile = indexFile
    }

    public func callAsFunction(_ environ: Environ, _ startResponse: StartResponse) throws -> ResponseBody {
        let method = environ["REQUEST_METHOD"] ?? "GET"
        guard method == "GET" || method == "HEAD" else {
            return try answer(startResponse, "405 Method Not Allowed", [("Allow", "GET, HEAD")])
        }
        guard let path = resolve(environ["PATH_INFO"] ?? "/"), let file = RegularFile(path: path) else {
            return try answer(startResponse, "404 Not Found")
        }
        let validators: [(String, String)] = [("ETag", file.etag), ("Last-Modified", HTTPDate.format(file.modified))]
        if Self.notModified(environ, file) {
            return try answer(startResponse, "304 Not Modified", validators, body: nil)
        }
        var headers = [("Content-Type", MediaTypes.type(ofPath: path)), ("Accept-Ranges", "bytes")] + validators
        var range = 0..<file.size
        var status = "200 OK"
        if method == "GET", let header = environ["HTTP_RANGE"] {
            switch ByteRange.parse(header, size: file.size) {
            case .whole: break
            case .part(let part):
                range = part
                status = "206 Partial Content"
                headers.append(("Content-Range", "bytes \(part.lowerBound)-\(part.upperBound - 1)/\(file.size)"))
            case .unsatisfiable:
                return try answer(startResponse, "416 Range Not Satisfiable", [("Content-Range", "bytes */\(file.size)")])
            }
        }
        headers.append(("Content-Length", "\(range.count)"))
        _ = try startResponse(status, headers)
        guard method == "GET", !range.isEmpty else { return [] }
        let opened = try File(path: path)
        try opened.seek(to: range.lowerBound)
        // The server sends Content-Length bytes from the file's position, no more.
        return environ.fileWrapper.map { $0(opened) } ?? ResponseBody(FileWrapper(opened))
    }

    /// The file `pathInfo` names under ``root``, or nil when it names none or lies outside it.
    func resolve(_ pathInfo: String) -> String? {
        // PATH_INFO's characters are the request's decoded bytes (ISO-8859-1).
        var bytes: [UInt8] = []
        for scalar in pathInfo.unicodeScalars {
            guard scalar.value > 0, scalar.value <= 0xFF else { return nil }
            bytes.append(UInt8(scalar.value))
        }
        let segments = bytes.split(separator: UInt8(ascii: "/"))
        guard !segments.contains(where: { $0.elementsEqual("..".utf8) || $0.elementsEqual(".".utf8) }) else { return nil }
        let relative = segments.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/")
        var candidate = relative.isEmpty ? root : root + "/" + relative
        var status = stat()
        guard stat(candidate, &status) == 0 else { return nil }
        if status.st_mode & S_IFMT == S_IFDIR {
            guard let indexFile else { return nil }
            candidate += "/" + indexFile
        }
        // Symbolic links are followed, but only to somewhere under the root.
        guard let resolved = realpath(candidate, nil) else { return nil }
        defer { free(resolved) }
        let real = String(cString: resolved)
        return real.hasPrefix(root + "/") ? real : nil
    }

    private static func notModified(_ environ: Environ, _ file: RegularFile) -> Bool {
        if let tags = environ["HTTP_IF_NONE_MATCH"] {
            // Weak comparison (RFC 9110 §13.1.2); ours contain no spaces, so spaces can go.
            let strip = { (tag: String) in tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag }
            return tags.split(separator: ",").contains { candidate in
                let tag = candidate.filter { $0 != " " && $0 != "\t" }
                return tag == "*" || strip(tag) == file.etag
            }
        }
        guard let since = environ["HTTP_IF_MODIFIED_SINCE"].flatMap(HTTPDate.parse) else { return false }
        return file.modified <= since
    }

    private func answer(_ startResponse: StartResponse, _ status: String, _ headers: [(String, String)] = [], body: Bytes? = "") throws -> ResponseBody {
        let text = body.map { $0.isEmpty ? Bytes(utf8: String(status.dropFirst(4)) + "\n") : $0 }
        var all = headers
        if let text { all += [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "\(text.count)")] }
        _ = try startResponse(status, all)
        return text.map { [$0] } ?? []
    }
}

/// What `stat(2)` says of a regular file: its size and validators.
struct RegularFile {
    let size: Int
    /// Seconds since the epoch.
    let modified: Int
    /// Strong: size and modification time to the nanosecond.
    let etag: String

    init?(path: String) {
        var status = stat()
        guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        size = Int(status.st_size)
        modified = Int(status.st_mtim.tv_sec)
        etag = "\"\(String(size, radix: 16))-\(String(modified, radix: 16))\(String(Int(status.st_mtim.tv_nsec), radix: 16))\""
    }
}
