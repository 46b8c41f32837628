import Foundation
import Testing
import TestSupport

/// One request on a new connection; the response (HEAD requests read without a body).
func exchange(_ server: ServerProcess, _ request: String, timeout: Double = 10) throws -> HTTPResponse {
    let client = try RawClient(port: server.port)
    try client.send(request)
    return try client.readResponse(timeout: timeout, head: request.hasPrefix("HEAD "))
}

/// `GET path` on a new connection.
func get(_ server: ServerProcess, _ path: String) throws -> HTTPResponse {
    try exchange(server, "GET \(path) HTTP/1.1\r\nHost: test\r\n\r\n")
}

/// A JSON body.
func json(_ response: HTTPResponse, sourceLocation: SourceLocation = #_sourceLocation) throws -> Any {
    #expect(response.status == 200, "\(response)", sourceLocation: sourceLocation)
    return try JSONSerialization.jsonObject(with: Data(response.body))
}

func jsonObject(_ response: HTTPResponse, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    try #require(try json(response, sourceLocation: sourceLocation) as? [String: Any], sourceLocation: sourceLocation)
}

/// A fresh path in the temporary directory (nothing there yet), for files applications write.
func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("swift-wsgi-\(name)-\(UUID().uuidString)").path
}

/// What a log shows when the application broke the WSGI contract as seen by
/// wsgiref.validate, or left a response unclosed.
func validatorComplaints(_ log: String) -> [String] {
    log.split(separator: "\n").map(String.init).filter {
        $0.contains("garbage collected without being closed") || $0.contains("WSGIWarning") || $0.contains("AssertionError")
    }
}
