import Glibc
import UVLoop

/// Prints `Listening on http://HOST:PORT` (`https://` when the listeners speak TLS, or `Listening on
/// unix:PATH`) for each address, at once: standard output is block-buffered when it is a pipe, and
/// whoever started the process is waiting for these lines.
public func announce(_ addresses: [ListenerAddress], secure: Bool) {
    var line = addresses.map { address in
        guard secure, case .inet(let inet) = address else { return "Listening on \(address.url)\n" }
        return "Listening on https://\(inet)\n"
    }.joined()
    line.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = write(1, bytes.baseAddress! + offset, bytes.count - offset)
            if written <= 0 { return }
            offset += written
        }
    }
}
