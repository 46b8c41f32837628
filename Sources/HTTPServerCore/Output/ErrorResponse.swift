/// The short responses the server itself sends when a request cannot reach the application
/// (parse errors, limits, timeouts, unsupported expectations). Always `Connection: close`.
enum ErrorResponse {
    /// Queues `status reason` with a one-line text body in the loop's output queue.
    static func write(status: Int, detail: String, context: LoopContext) {
        let phrase = reasonPhrase(status)
        let body = text(status: status, detail: detail)
        context.out.withScratch { buffer in
            buffer.append("HTTP/1.1 ")
            buffer.appendDecimal(status)
            buffer.append(" ")
            Latin1.encode(phrase, into: &buffer)
            buffer.append("\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ")
            buffer.appendDecimal(body.utf8.count)
            buffer.append("\r\nConnection: close\r\n")
            buffer.append(context.date.line)
            buffer.append(context.serverLine)
            buffer.append("\r\n")
            buffer.append(Array(body.utf8))
        }
    }

    /// The short body of a refusal, the same for every protocol: `431 Request Header Fields Too
    /// Large: detail`.
    static func text(status: Int, detail: String) -> String {
        "\(status) \(reasonPhrase(status)): \(detail)\n"
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 400: return "Bad Request"
        case 408: return "Request Timeout"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 417: return "Expectation Failed"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return "Error"
        }
    }
}
