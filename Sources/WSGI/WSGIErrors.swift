#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `wsgi.errors`: a text stream for application error output.
///
/// Servers route it to their logger (see the server's documentation for where it goes). Writing any
/// Unicode text never throws; applications end lines with `\n`.
public protocol WSGIErrors: AnyObject, Sendable {
    func write(_ text: String)
    func writelines(_ lines: [String])
    func flush()
}

extension WSGIErrors {
    public func writelines(_ lines: [String]) {
        for line in lines { write(line) }
    }

    public func flush() {}
}

/// A ``WSGIErrors`` that writes to the process's standard error, unbuffered.
public final class StandardErrorOutput: WSGIErrors {
    public static let shared = StandardErrorOutput()

    public init() {}

    public func write(_ text: String) { writeToStandardError(text) }
}

private func writeToStandardError(_ text: String) {
    var text = text
    text.withUTF8 { bytes in
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = write(2, base + offset, bytes.count - offset)
            if written <= 0 { return }
            offset += written
        }
    }
}
