import Glibc
import WSGI

/// Server-sent events: one event per chunk, written as it is produced (the server does not
/// buffer), the body pulled only as fast as the client reads, and closed when it goes away. Run it
/// with `--threads`, as its waits would otherwise hold the event loop.
/// `curl -N 'localhost:8051/?count=5&interval_ms=1000'`.
public struct EventsExample: WSGIApplication {
    public init() {}

    public func callAsFunction(_ environ: Environ, _ startResponse: StartResponse) throws -> ResponseBody {
        let query = Examples.pairs(environ["QUERY_STRING", default: ""])
        let count = Int(query["count"] ?? "") ?? 10
        let interval = UInt32(query["interval_ms"] ?? "") ?? 1000
        try startResponse("200 OK", [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")])
        var number = 0
        return ResponseBody(next: {
            guard number < count else { return nil }
            if number > 0 { usleep(interval * 1000) }
            number += 1
            return Bytes(utf8: "id: \(number)\nevent: tick\ndata: {\"tick\": \(number)}\n\n")
        })
    }
}
