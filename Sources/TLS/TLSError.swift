import COpenSSL
import Glibc

/// A TLS failure: what was being done, with OpenSSL's reasons (its error queue, per thread, read and
/// emptied when the error is made, so one failure never shows up in the next).
public struct TLSError: Error, CustomStringConvertible, Sendable {
    /// What failed: `loading the certificate /etc/app/cert.pem`, `handshake`, ...
    public let operation: String
    /// OpenSSL's reasons, oldest first (`error:0A00010B:SSL routines::wrong version number`).
    public let reasons: [String]

    /// The failure of `operation`, with the reasons queued on this thread.
    init(_ operation: String) {
        self.operation = operation
        reasons = TLSError.takeQueuedReasons()
    }

    public var description: String {
        reasons.isEmpty ? operation : "\(operation): \(reasons.joined(separator: "; "))"
    }

    /// Empties this thread's queue before a call whose failure is read from it.
    static func clearQueue() { ERR_clear_error() }

    private static func takeQueuedReasons() -> [String] {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            let text = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
                ERR_error_string_n(code, buffer.baseAddress, buffer.count)
                return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress, count: strlen(buffer.baseAddress!)), as: UTF8.self)
            }
            reasons.append(text)
        }
        return reasons
    }
}
