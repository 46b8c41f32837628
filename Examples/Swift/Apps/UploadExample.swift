import Foundation
import WSGI

/// Form and JSON uploads: `wsgi.input` holds exactly the request body (a chunked upload is
/// de-chunked by the server), so it is read to its end.
/// `curl -d 'name=Ada' localhost:8051/` or `curl -H 'Content-Type: application/json' -d '{"name":"Ada"}' localhost:8051/`.
public struct UploadExample: WSGIApplication {
    public init() {}

    public func callAsFunction(_ environ: Environ, _ startResponse: StartResponse) throws -> ResponseBody {
        guard environ["REQUEST_METHOD"] == "POST" else {
            return try Examples.text(startResponse, "405 Method Not Allowed", "use POST\n")
        }
        let body = try environ.input.read()
        let kind = environ["CONTENT_TYPE", default: ""].split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        let received: [String: Any]
        switch kind {
        case "application/json":
            guard let object = try? JSONSerialization.jsonObject(with: Data(body.array)) as? [String: Any] else {
                return try Examples.text(startResponse, "400 Bad Request", "bad request: not a JSON object\n")
            }
            received = object
        case "application/x-www-form-urlencoded":
            var fields: [String: Any] = [:]
            for (name, value) in Examples.pairs(String(decoding: body.array, as: UTF8.self)) {
                let decode = { (text: String) in text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? text }
                fields[decode(name)] = decode(value)
            }
            received = fields
        default:
            return try Examples.text(startResponse, "400 Bad Request", "bad request: send a form or JSON, not \(kind.debugDescription)\n")
        }
        let json = try JSONSerialization.data(withJSONObject: ["received": received, "bytes": body.count], options: [.sortedKeys])
        let data = Bytes(Array(json))
        try startResponse("200 OK", [("Content-Type", "application/json"), ("Content-Length", "\(data.count)")])
        return [data]
    }
}
