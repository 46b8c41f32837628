import StaticFiles
import WSGI

/// File downloads: `StaticFiles` sends them with sendfile(2) (ranges, validators, no path outside
/// the directory), and this adds `Content-Disposition: attachment` so browsers save them.
/// `wsgi-examples download --directory .` then `curl -OJ localhost:8051/Package.swift`.
public struct DownloadExample: WSGIApplication {
    private let files: StaticFiles

    public init(directory: String) throws {
        files = try StaticFiles(root: directory, indexFile: nil)
    }

    public func callAsFunction(_ environ: Environ, _ startResponse: StartResponse) throws -> ResponseBody {
        // The file's name, without what could end the header's quoted string.
        let name = (environ["PATH_INFO", default: "/"].split(separator: "/").last.map(String.init) ?? "")
            .filter { $0 != "\"" && $0 != "\\" && !($0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } ?? true) }
        // A middleware's start_response: the file's headers, and one more.
        return try files(environ, StartResponse { status, headers, error in
            let attachment = status.hasPrefix("200") || status.hasPrefix("206")
            let disposition = attachment ? [("Content-Disposition", "attachment; filename=\"\(name)\"")] : []
            return try startResponse(status, headers + disposition, error)
        })
    }
}
