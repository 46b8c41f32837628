import SharedBytes
import Synchronization

/// The server's own answer to a load balancer's probe (`--health-check-path`): `200 OK` while it
/// serves; `503` from the moment a stop with a drain delay begins (``HTTPServer/shutdown(graceful:)``),
/// so the balancer stops routing to it before it stops accepting. The application is not called and
/// the probe is not in the access log (a probe every few seconds would drown it).
///
/// Thread-safe: loops read it for each request on the probed path; the stopping thread turns it.
public final class HealthCheck: Sendable {
    /// The probed path, compared with a request's path exactly (its query is ignored).
    public let path: String
    private let pathBytes: [UInt8]
    private let failing = Atomic<Bool>(false)

    public init(path: String) {
        self.path = path
        pathBytes = Array(path.utf8)
    }

    /// Whether a `GET` or `HEAD` of `path` (the request's path bytes) is the probe.
    @inline(__always)
    func matches(path: UnsafeRawBufferPointer, method: UnsafeRawBufferPointer) -> Bool {
        path.count == pathBytes.count && path.elementsEqual(pathBytes)
            && (method.elementsEqual("GET".utf8) || method.elementsEqual("HEAD".utf8))
    }

    /// From now on the probe answers 503. Returns whether this call turned it.
    @discardableResult
    func startFailing() -> Bool {
        !failing.exchange(true, ordering: .relaxed)
    }

    /// Whether the probe answers 503.
    public var isFailing: Bool { failing.load(ordering: .relaxed) }

    /// The probe's response.
    func response() -> any ResponseSource { isFailing ? Self.draining : Self.healthy }

    private static let healthy = CannedResponse(status: 200, reason: "OK", body: "OK\n")
    private static let draining = CannedResponse(status: 503, reason: "Service Unavailable", body: "draining\n")
}

/// A response the server makes itself, the same every time: one part, head and body.
final class CannedResponse: ResponseSource {
    private let head: ResponseHead
    private let body: Bytes

    init(status: Int, reason: String, body: String) {
        let length = body.utf8.count
        head = ResponseHead(
            status: status,
            lines: Bytes(Array("\(status) \(reason)\r\nContent-Type: text/plain\r\nContent-Length: \(length)\r\nCache-Control: no-store\r\n".utf8)),
            contentLength: length
        )
        self.body = Bytes(Array(body.utf8))
    }

    func next(into sink: any PartSink) -> ResponsePart { .head(head, body: body, final: true) }

    func close() {}
}
