import WSGI

/// The example applications by name (`wsgi-examples NAME`), each in its own file.
public enum Examples {
    public static let all: [String: Application] = [
        "hello": HelloExample().application,
        "routing": RoutingExample().application,
        "events": EventsExample().application,
        "upload": UploadExample().application,
    ]

    /// The download example serves the files of `directory`.
    public static func download(directory: String) throws -> Application {
        try DownloadExample(directory: directory).application
    }

    /// The `name=value` pairs of a query string or form (not decoded).
    static func pairs(_ text: String) -> [String: String] {
        var pairs: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            pairs[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return pairs
    }

    /// `text` as a UTF-8 plain-text response with its length.
    static func text(_ startResponse: StartResponse, _ status: String, _ text: String) throws -> ResponseBody {
        let body = Bytes(utf8: text)
        try startResponse(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "\(body.count)")])
        return [body]
    }
}
