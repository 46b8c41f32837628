import CoreMetrics
import Synchronization

/// A worker's metrics backend when the master serves `--metrics-bind`: swift-metrics handlers that
/// only count, and a ``snapshot()`` of every series in the master's wire form
/// (``WorkerMetricsFrame``), sent with each heartbeat.
///
/// Handlers are thread-safe (each behind its own lock): loops report on their sweeps, responses
/// record durations as they end, and the heartbeat's loop reads them all.
final class WorkerMetricsFactory: MetricsFactory, Sendable {
    /// The duration histogram's bucket bounds, in seconds (Prometheus's usual web-latency spread).
    static let durationBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private let series = Mutex<[any WorkerSeries]>([])

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        register(CountingCounter(key: SeriesKey(label, dimensions)))
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        register(CountingGauge(key: SeriesKey(label, dimensions)))
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        register(CountingGauge(key: SeriesKey(label, dimensions)))
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        register(CountingHistogram(name: label, labels: SeriesKey.labels(dimensions)))
    }

    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}

    private func register<Handler: WorkerSeries>(_ handler: Handler) -> Handler {
        series.withLock { $0.append(handler) }
        return handler
    }

    /// Every series now, one line each (`KIND NAME{LABELS} VALUE`); counters still at 0 and
    /// histograms without an observation are left out (the master reads a missing series as 0), so
    /// that the frame stays small.
    func snapshot() -> String {
        var text = ""
        for handler in series.withLock({ $0 }) { handler.write(into: &text) }
        return text
    }
}

/// A series' name with its labels in Prometheus's form: `wsgi_requests_total{status="2xx"}`.
struct SeriesKey {
    let text: String

    init(_ name: String, _ dimensions: [(String, String)]) {
        text = name + Self.labels(dimensions)
    }

    static func labels(_ dimensions: [(String, String)]) -> String {
        guard !dimensions.isEmpty else { return "" }
        return "{" + dimensions.map { "\($0.0)=\"\($0.1)\"" }.joined(separator: ",") + "}"
    }
}

/// One handler's lines in a snapshot.
protocol WorkerSeries: AnyObject, Sendable {
    func write(into text: inout String)
}

private final class CountingCounter: CounterHandler, WorkerSeries {
    private let key: SeriesKey
    private let value = Mutex<Int64>(0)

    init(key: SeriesKey) { self.key = key }

    func increment(by amount: Int64) { value.withLock { $0 &+= amount } }
    func reset() { value.withLock { $0 = 0 } }

    func write(into text: inout String) {
        let current = value.withLock { $0 }
        if current != 0 { text += "\(WorkerMetricsFrame.Kind.counter.rawValue) \(key.text) \(current)\n" }
    }
}

private final class CountingGauge: MeterHandler, RecorderHandler, WorkerSeries {
    private let key: SeriesKey
    private let value = Mutex<Double>(0)

    init(key: SeriesKey) { self.key = key }

    func set(_ newValue: Int64) { value.withLock { $0 = Double(newValue) } }
    func set(_ newValue: Double) { value.withLock { $0 = newValue } }
    func increment(by amount: Double) { value.withLock { $0 += amount } }
    func decrement(by amount: Double) { value.withLock { $0 -= amount } }
    func record(_ newValue: Int64) { set(newValue) }
    func record(_ newValue: Double) { set(newValue) }

    func write(into text: inout String) {
        text += "\(WorkerMetricsFrame.Kind.gauge.rawValue) \(key.text) \(value.withLock { $0 })\n"
    }
}

private final class CountingHistogram: TimerHandler, WorkerSeries {
    private struct Counts {
        var buckets = [Int64](repeating: 0, count: WorkerMetricsFactory.durationBuckets.count)
        var count: Int64 = 0
        var sumNanoseconds: Int64 = 0
    }

    private let name: String
    /// `{a="b"}` or empty: the `le` label joins these.
    private let labels: String
    private let counts = Mutex(Counts())

    init(name: String, labels: String) {
        self.name = name
        self.labels = labels
    }

    func recordNanoseconds(_ duration: Int64) {
        let seconds = Double(duration) / 1e9
        let first = WorkerMetricsFactory.durationBuckets.firstIndex { seconds <= $0 }
        counts.withLock { counts in
            if let first { counts.buckets[first] += 1 }
            counts.count += 1
            counts.sumNanoseconds &+= duration
        }
    }

    func write(into text: inout String) {
        let counts = counts.withLock { $0 }
        guard counts.count > 0 else { return }
        let kind = WorkerMetricsFrame.Kind.histogram.rawValue
        let inner = labels.isEmpty ? "" : String(labels.dropFirst().dropLast()) + ","
        var cumulative: Int64 = 0
        for (bound, count) in zip(WorkerMetricsFactory.durationBuckets, counts.buckets) {
            cumulative += count
            text += "\(kind) \(name)_bucket{\(inner)le=\"\(WorkerMetricsBoard.format(bound))\"} \(cumulative)\n"
        }
        text += "\(kind) \(name)_bucket{\(inner)le=\"+Inf\"} \(counts.count)\n"
        text += "\(kind) \(name)_sum\(labels) \(Double(counts.sumNanoseconds) / 1e9)\n"
        text += "\(kind) \(name)_count\(labels) \(counts.count)\n"
    }
}
