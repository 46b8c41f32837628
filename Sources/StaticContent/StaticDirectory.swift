import Glibc

/// A directory served as static files, as whitenoise or nginx's `root` serve one: the decisions
/// of a file response, for whoever sends it (the server's own `--static` mounts, the `StaticFiles`
/// WSGI application). GET and HEAD; validators (`ETag`, `Last-Modified`, answered 304 for
/// `If-None-Match` / `If-Modified-Since`); one byte range (206, or 416 past the end); a
/// precompressed sibling (`FILE.br`, `FILE.gz`) for a client that accepts its coding;
/// `Cache-Control` by ``CachePolicy``; `index.html` for a directory; and nothing outside the
/// directory: `.`/`..` segments, NUL bytes and symbolic links that lead out are not found.
///
/// Immutable and `Sendable`: any thread may answer with it. Answering calls `stat(2)` and
/// `realpath(3)`: the caller accepts that file-system work on its thread (a loop thread for the
/// server's mounts, as nginx does).
public struct StaticDirectory: Sendable {
    /// The directory, resolved (symbolic links followed) once.
    public let root: String
    /// Served for a request naming a directory; nil: not found.
    public let indexFile: String?
    public let cachePolicy: CachePolicy

    /// Serves `root`, which must be an existing directory.
    public init(root: String, indexFile: String? = "index.html", cachePolicy: CachePolicy = CachePolicy()) throws(StaticContentError) {
        guard let resolved = realpath(root, nil) else { throw StaticContentError(description: "cannot serve \(root) as static files: \(String(cString: strerror(errno)))") }
        defer { free(resolved) }
        var status = stat()
        guard stat(resolved, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else { throw StaticContentError(description: "cannot serve \(root) as static files: not a directory") }
        self.root = String(cString: resolved)
        self.indexFile = indexFile
        self.cachePolicy = cachePolicy
    }

    /// The answer to `request`, or nil when it names no file here (a server falls through to its
    /// application, an application answers 404).
    public func answer(_ request: StaticRequest) -> StaticAnswer? {
        guard let path = resolve(request.path), let identity = RegularFile(path: path) else { return nil }
        guard request.method == "GET" || request.method == "HEAD" else {
            return .text(405, "Method Not Allowed", [("Allow", "GET, HEAD")])
        }
        let siblings = Precompressed.siblings(of: path, inside: root)
        let (file, coding) = Precompressed.choose(identity: (path, identity), siblings: siblings, accepting: request.acceptEncoding)
        var headers = [("Content-Type", MediaTypes.type(ofPath: path))]
        if let coding { headers.append(("Content-Encoding", coding)) }
        if !siblings.isEmpty { headers.append(("Vary", "Accept-Encoding")) }
        headers += [("ETag", file.facts.etag), ("Last-Modified", HTTPDate.format(file.facts.modified))]
        if let cacheControl = cachePolicy.cacheControl(forPath: request.path) { headers.append(("Cache-Control", cacheControl)) }
        if Self.notModified(request, file.facts) {
            return StaticAnswer(status: 304, reason: "Not Modified", headers: headers, body: .none)
        }
        headers.append(("Accept-Ranges", "bytes"))
        var range = 0..<file.facts.size
        var status = (200, "OK")
        if request.method == "GET", let header = request.range {
            switch ByteRange.parse(header, size: file.facts.size) {
            case .whole: break
            case .part(let part):
                range = part
                status = (206, "Partial Content")
                headers.append(("Content-Range", "bytes \(part.lowerBound)-\(part.upperBound - 1)/\(file.facts.size)"))
            case .unsatisfiable:
                return .text(416, "Range Not Satisfiable", [("Content-Range", "bytes */\(file.facts.size)")])
            }
        }
        let body: StaticAnswer.Body = request.method == "GET" && !range.isEmpty ? .file(path: file.path, range: range) : .none
        return StaticAnswer(status: status.0, reason: status.1, headers: headers, body: body, contentLength: range.count)
    }

    /// The file `relativePath` (decoded path bytes below the directory) names here, or nil when it
    /// names none or lies outside the directory.
    func resolve(_ relativePath: [UInt8]) -> String? {
        guard !relativePath.contains(0) else { return nil }
        let segments = relativePath.split(separator: UInt8(ascii: "/"))
        guard !segments.contains(where: { $0.elementsEqual("..".utf8) || $0.elementsEqual(".".utf8) }) else { return nil }
        let relative = segments.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/")
        var candidate = relative.isEmpty ? root : root + "/" + relative
        var status = stat()
        guard stat(candidate, &status) == 0 else { return nil }
        if status.st_mode & S_IFMT == S_IFDIR {
            guard let indexFile else { return nil }
            candidate += "/" + indexFile
        }
        return Self.realPath(candidate, inside: root)
    }

    /// `candidate` with symbolic links followed, when that lies under `root`.
    static func realPath(_ candidate: String, inside root: String) -> String? {
        guard let resolved = realpath(candidate, nil) else { return nil }
        defer { free(resolved) }
        let real = String(cString: resolved)
        return real.hasPrefix(root + "/") ? real : nil
    }

    private static func notModified(_ request: StaticRequest, _ file: RegularFile) -> Bool {
        if let tags = request.ifNoneMatch {
            // Weak comparison (RFC 9110 §13.1.2); ours contain no spaces, so spaces can go.
            let strip = { (tag: String) in tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag }
            return tags.split(separator: ",").contains { candidate in
                let tag = candidate.filter { $0 != " " && $0 != "\t" }
                return tag == "*" || strip(tag) == file.etag
            }
        }
        guard let since = request.ifModifiedSince.flatMap(HTTPDate.parse) else { return false }
        return file.modified <= since
    }
}

/// A directory that cannot be served, a pattern that is not one.
public struct StaticContentError: Error, CustomStringConvertible {
    public let description: String
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
