import Glibc

/// What a worker writes on its heartbeat pipe: frames, each one write of at most `PIPE_BUF` bytes
/// (so the kernel never interleaves or splits it, and a full pipe refuses it whole):
/// - a beat: the byte 1;
/// - a beat with the worker's metrics: the byte 2, the payload's length (2 bytes, little-endian),
///   and the payload, ``WorkerMetricsFactory/snapshot()``'s lines.
///
/// The convention lives here; ``WorkerLink`` writes frames and ``WorkerSupervisor`` reads them.
enum WorkerMetricsFrame {
    /// The kind of a payload line: what its value does when summed over workers and when a worker
    /// exits.
    enum Kind: Character {
        /// Summed; kept after the worker exits (a process-level total).
        case counter = "c"
        /// Summed over the live workers only.
        case gauge = "g"
        /// A histogram's bucket, sum or count line: summed and kept like a counter.
        case histogram = "h"
    }

    static let beat: UInt8 = 1
    static let metrics: UInt8 = 2
    /// The largest payload: a frame never exceeds `PIPE_BUF`.
    static let maxPayload = Int(PIPE_BUF) - 3

    /// The frame of a beat carrying `payload`; nil when the payload is too large for one frame.
    static func encode(_ payload: String) -> [UInt8]? {
        let bytes = Array(payload.utf8)
        guard bytes.count <= maxPayload else { return nil }
        return [metrics, UInt8(bytes.count & 0xFF), UInt8(bytes.count >> 8)] + bytes
    }

    /// Reads frames from a pipe's bytes as they arrive.
    struct Reader {
        private var pending: [UInt8] = []

        /// Appends `bytes` and calls `frame` for each complete frame: nil for a beat, the payload
        /// for a beat with metrics. A byte that begins no frame is skipped.
        mutating func receive(_ bytes: UnsafeRawBufferPointer, frame: (String?) -> Void) {
            pending += bytes
            var index = 0
            while index < pending.count {
                if pending[index] != WorkerMetricsFrame.metrics {
                    if pending[index] == WorkerMetricsFrame.beat { frame(nil) }
                    index += 1
                    continue
                }
                guard index + 3 <= pending.count else { break }
                let length = Int(pending[index + 1]) | Int(pending[index + 2]) << 8
                guard index + 3 + length <= pending.count else { break }
                frame(String(decoding: pending[(index + 3)..<(index + 3 + length)], as: UTF8.self))
                index += 3 + length
            }
            pending.removeFirst(index)
        }
    }
}
