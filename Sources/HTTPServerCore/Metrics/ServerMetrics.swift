import CoreMetrics

/// The server's metrics, through swift-metrics: made once per server from a factory (the
/// bootstrapped one by default; the commands give Prometheus's), so that no metric object is looked
/// up or created while serving.
///
/// | label | kind | dimensions |
/// |---|---|---|
/// | `wsgi_active_connections` | meter | |
/// | `wsgi_active_requests` | meter | requests between head and response end |
/// | `wsgi_requests_total` | counter | `status`: `1xx` ... `5xx` |
/// | `wsgi_request_duration_seconds` | timer | from the head to the response's end |
/// | `wsgi_refused_requests_total` | counter | `reason`: why the server answered by itself |
/// | `wsgi_response_bytes_total` | counter | body bytes |
///
/// Each loop counts in plain integers and adds them to these objects on its sweep (at most a
/// second later) and when it stops; durations are recorded as responses end.
public final class ServerMetrics: Sendable {
    let activeConnections: Meter
    let activeRequests: Meter
    /// By status class: index 0 for 1xx ... 4 for 5xx.
    let requests: [Counter]
    let duration: Timer
    let bytesOut: Counter
    /// By ``RefusalReason``.
    let refused: [Counter]

    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        activeConnections = Meter(label: "wsgi_active_connections", factory: factory)
        activeRequests = Meter(label: "wsgi_active_requests", factory: factory)
        requests = (1...5).map { Counter(label: "wsgi_requests_total", dimensions: [("status", "\($0)xx")], factory: factory) }
        duration = Timer(label: "wsgi_request_duration_seconds", factory: factory)
        bytesOut = Counter(label: "wsgi_response_bytes_total", factory: factory)
        refused = RefusalReason.allCases.map { Counter(label: "wsgi_refused_requests_total", dimensions: [("reason", $0.label)], factory: factory) }
    }
}

/// Why the server answered a request itself, by the status it answered with.
enum RefusalReason: Int, CaseIterable {
    case malformed, timeout, bodyTooLarge, targetTooLong, expectation, headersTooLarge, notImplemented, version, other

    init(status: Int) {
        switch status {
        case 400: self = .malformed
        case 408: self = .timeout
        case 413: self = .bodyTooLarge
        case 414: self = .targetTooLong
        case 417: self = .expectation
        case 431: self = .headersTooLarge
        case 501: self = .notImplemented
        case 505: self = .version
        default: self = .other
        }
    }

    var label: String {
        switch self {
        case .malformed: return "malformed"
        case .timeout: return "timeout"
        case .bodyTooLarge: return "body_too_large"
        case .targetTooLong: return "target_too_long"
        case .expectation: return "expectation_failed"
        case .headersTooLarge: return "headers_too_large"
        case .notImplemented: return "not_implemented"
        case .version: return "http_version"
        case .other: return "other"
        }
    }
}

/// One loop's counts since its last report to the ``ServerMetrics``. Loop thread only.
struct LoopMetrics {
    let metrics: ServerMetrics
    private var requests = [Int](repeating: 0, count: 5)
    private var bytes = 0
    private var refused = [Int](repeating: 0, count: RefusalReason.allCases.count)
    private var reportedConnections = 0
    private var reportedRequests = 0

    init(_ metrics: ServerMetrics) { self.metrics = metrics }

    private static func move(_ meter: Meter, by change: Int) {
        if change > 0 { meter.increment(by: Double(change)) } else if change < 0 { meter.decrement(by: Double(-change)) }
    }

    mutating func responseCompleted(status: Int, bytes: Int, nanoseconds: UInt64) {
        requests[min(4, max(0, status / 100 - 1))] += 1
        self.bytes += bytes
        metrics.duration.recordNanoseconds(Int64(clamping: nanoseconds))
    }

    mutating func refused(status: Int) {
        refused[RefusalReason(status: status).rawValue] += 1
    }

    /// Adds the counts to the metrics, with the loop's connections and requests in progress now.
    mutating func report(connections: Int, activeRequests: Int) {
        for index in requests.indices where requests[index] > 0 {
            metrics.requests[index].increment(by: requests[index])
            requests[index] = 0
        }
        if bytes > 0 { metrics.bytesOut.increment(by: bytes) }
        bytes = 0
        for index in refused.indices where refused[index] > 0 {
            metrics.refused[index].increment(by: refused[index])
            refused[index] = 0
        }
        // Meters are shared by the loops: each adds its change.
        Self.move(metrics.activeConnections, by: connections - reportedConnections)
        Self.move(metrics.activeRequests, by: activeRequests - reportedRequests)
        reportedConnections = connections
        reportedRequests = activeRequests
    }
}
