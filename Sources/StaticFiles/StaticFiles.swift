import StaticContent
import WSGI

/// A WSGI application serving the files under a directory (``StaticDirectory``'s rules: GET and
/// HEAD, validators, one range, precompressed siblings, whitenoise's `Cache-Control`, nothing
/// outside the directory), the body sent with `sendfile(2)` through `wsgi.file_wrapper`; 404 for a
/// path that names no file.
///
/// ```swift
/// let site = try StaticFiles(root: "/srv/site")
/// let app = PathDispatcher(["/static": site.application, "/": api])
/// ```
public struct StaticFiles: WSGIApplication, Sendable {
    public let directory: StaticDirectory

    /// Serves `root`, which must be an existing directory.
    public init(root: String, indexFile: String? = "index.html", cachePolicy: CachePolicy = CachePolicy()) throws {
        directory = try StaticDirectory(root: root, indexFile: indexFile, cachePolicy: cachePolicy)
    }

    public var root: String { directory.root }

    public func callAsFunction(_ environ: Environ, _ startResponse: StartResponse) throws -> ResponseBody {
        let request = StaticRequest(
            method: environ["REQUEST_METHOD"] ?? "GET",
            // PATH_INFO's characters are the request's decoded bytes (ISO-8859-1); any other
            // character names no file.
            path: Self.bytes(ofNativeString: environ["PATH_INFO"] ?? "/") ?? [0],
            ifNoneMatch: environ["HTTP_IF_NONE_MATCH"], ifModifiedSince: environ["HTTP_IF_MODIFIED_SINCE"],
            range: environ["HTTP_RANGE"], acceptEncoding: environ["HTTP_ACCEPT_ENCODING"]
        )
        guard let answer = directory.answer(request) else {
            _ = try startResponse("404 Not Found", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "10")])
            return ["Not Found\n"]
        }
        _ = try startResponse("\(answer.status) \(answer.reason)", answer.headers)
        switch answer.body {
        case .none: return []
        case .text(let text): return [Bytes(utf8: text)]
        case .file(let path, let range):
            let opened = try File(path: path)
            try opened.seek(to: range.lowerBound)
            // The server sends Content-Length bytes from the file's position, no more.
            return environ.fileWrapper.map { $0(opened) } ?? ResponseBody(FileWrapper(opened))
        }
    }

    private static func bytes(ofNativeString text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        for scalar in text.unicodeScalars {
            guard scalar.value <= 0xFF else { return nil }
            bytes.append(UInt8(scalar.value))
        }
        return bytes
    }
}
