import Glibc
import Synchronization
import UVLoop

/// The master's view of its workers' metrics, for `--metrics-bind` with `--workers`: each worker's
/// latest counts (from its heartbeat frames), the totals of the workers that exited (so that a
/// worker's requests survive its replacement), and the master's own figures: live workers,
/// restarts by reason, and each listener's accept queue. ``render()`` gives Prometheus's text
/// format: the sums under the usual names (`wsgi_requests_total`...), each live worker's counters
/// and gauges under `wsgi_worker_*` with a `worker` label (its pid).
///
/// Thread-safe: the supervisor's loop writes, the metrics listener's thread renders.
public final class WorkerMetricsBoard: Sendable {
    /// Why a worker was replaced.
    enum Restart: String, CaseIterable {
        case crash, timeout, memory, lifetime, maxRequests = "max_requests", reload
    }

    /// One listener's accept queue: connections waiting for a worker's `accept`, and the limit.
    struct ListenQueue {
        let listener: String
        let queued: Int
        let limit: Int

        /// The queue of a listening TCP socket, from the kernel (`TCP_INFO`: for a listening
        /// socket, `tcpi_unacked` is the queue's length and `tcpi_sacked` its limit); nil for
        /// other sockets.
        init?(_ socket: ListeningSocket) {
            guard case .inet = socket.address else { return nil }
            var info = tcp_info()
            var length = socklen_t(MemoryLayout<tcp_info>.size)
            guard getsockopt(socket.descriptor, Int32(IPPROTO_TCP), TCP_INFO, &info, &length) == 0,
                  info.tcpi_state == UInt8(TCP_LISTEN) else { return nil }
            listener = socket.address.description
            queued = Int(info.tcpi_unacked)
            limit = Int(info.tcpi_sacked)
        }
    }

    private struct Line {
        let kind: WorkerMetricsFrame.Kind
        let value: Double
    }

    private struct State {
        /// Per live worker: series -> its latest line.
        var live: [Int32: [String: Line]] = [:]
        /// Counters and histograms of exited workers, summed.
        var retired: [String: Line] = [:]
        var restarts: [Restart: Int] = [:]
        var workers = 0
        var listenQueues: [ListenQueue] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Worker `pid` sent `payload` (``WorkerMetricsFactory/snapshot()``): its counts now.
    func record(_ payload: String, from pid: Int32) {
        var lines: [String: Line] = [:]
        for line in payload.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 3, let kindCharacter = parts[0].first, parts[0].count == 1,
                  let kind = WorkerMetricsFrame.Kind(rawValue: kindCharacter), let value = Double(parts[2]) else { continue }
            lines[String(parts[1])] = Line(kind: kind, value: value)
        }
        state.withLock { $0.live[pid] = lines }
    }

    /// Worker `pid` exited: its counters join the totals; `restart` says why it was replaced
    /// (nil: it was not, as in a stop).
    func workerExited(_ pid: Int32, restart: Restart?) {
        state.withLock { state in
            if let lines = state.live.removeValue(forKey: pid) {
                for (series, line) in lines where line.kind != .gauge {
                    state.retired[series] = Line(kind: line.kind, value: (state.retired[series]?.value ?? 0) + line.value)
                }
            }
            if let restart { state.restarts[restart, default: 0] += 1 }
        }
    }

    func update(workers: Int, listenQueues: [ListenQueue]) {
        state.withLock { state in
            state.workers = workers
            state.listenQueues = listenQueues
        }
    }

    /// Everything, in Prometheus's text format (version 0.0.4).
    public func render() -> String {
        let state = state.withLock { $0 }
        var totals: [String: Line] = state.retired
        for lines in state.live.values {
            for (series, line) in lines {
                totals[series] = Line(kind: line.kind, value: (totals[series]?.value ?? 0) + line.value)
            }
        }
        var text = ""
        Self.write(totals, into: &text) { $0 }
        for (pid, lines) in state.live.sorted(by: { $0.key < $1.key }) {
            Self.write(lines.filter { $0.value.kind != .histogram }, into: &text) { series in
                Self.perWorker(series, pid: pid)
            }
        }
        text += "# TYPE wsgi_workers gauge\nwsgi_workers \(state.workers)\n"
        text += "# TYPE wsgi_worker_restarts_total counter\n"
        for reason in Restart.allCases {
            text += "wsgi_worker_restarts_total{reason=\"\(reason.rawValue)\"} \(state.restarts[reason] ?? 0)\n"
        }
        if !state.listenQueues.isEmpty {
            text += "# TYPE wsgi_listen_backlog gauge\n"
            for queue in state.listenQueues { text += "wsgi_listen_backlog{listener=\"\(queue.listener)\"} \(queue.queued)\n" }
            text += "# TYPE wsgi_listen_backlog_limit gauge\n"
            for queue in state.listenQueues { text += "wsgi_listen_backlog_limit{listener=\"\(queue.listener)\"} \(queue.limit)\n" }
        }
        return text
    }

    /// Writes `lines` grouped by family with its `# TYPE` line, each series renamed by `name`.
    private static func write(_ lines: [String: Line], into text: inout String, name: (String) -> String) {
        var families: [String: [(String, Line)]] = [:]
        for (series, line) in lines {
            families[family(of: name(series), kind: line.kind), default: []].append((name(series), line))
        }
        for (family, members) in families.sorted(by: { $0.key < $1.key }) {
            let kind = members[0].1.kind
            text += "# TYPE \(family) \(kind == .counter ? "counter" : kind == .gauge ? "gauge" : "histogram")\n"
            for (series, line) in members.sorted(by: { order($0.0) < order($1.0) }) {
                text += "\(series) \(format(line.value))\n"
            }
        }
    }

    /// Where a series goes among its family's: by name, then a histogram's buckets by bound.
    private static func order(_ series: String) -> (String, Double) {
        guard let bound = series.firstRange(of: "le=\"") else { return (series, 0) }
        let value = series[bound.upperBound...].prefix { $0 != "\"" }
        return (String(series[..<bound.lowerBound]), value == "+Inf" ? .infinity : Double(value) ?? 0)
    }

    /// A series' family: its name without labels, and for a histogram's lines without the
    /// `_bucket`/`_sum`/`_count` suffix.
    private static func family(of series: String, kind: WorkerMetricsFrame.Kind) -> String {
        let name = series.split(separator: "{", maxSplits: 1).first.map(String.init) ?? series
        guard kind == .histogram else { return name }
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) { return String(name.dropLast(suffix.count)) }
        return name
    }

    /// `wsgi_x{a="b"}` of worker 42 as `wsgi_worker_x{a="b",worker="42"}`.
    private static func perWorker(_ series: String, pid: Int32) -> String {
        let renamed = series.hasPrefix("wsgi_") ? "wsgi_worker_" + series.dropFirst(5) : "worker_" + series
        guard renamed.hasSuffix("}") else { return renamed + "{worker=\"\(pid)\"}" }
        return renamed.dropLast() + ",worker=\"\(pid)\"}"
    }

    /// Integers without a fraction (`10`, not `10.0`), as Prometheus's own clients write them.
    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
