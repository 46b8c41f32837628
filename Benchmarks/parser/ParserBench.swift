// Our side of `make bench-parser`: RequestParser on the same corpus files, in the same loop shape
// as bench_http_parser.c. Built by run.sh against the parser compiled as its own module (as in a
// SwiftPM release build), never by SwiftPM.
//
// usage: parser-bench KIB_PER_REPEAT REPEATS FILE...
// Output, one line per file: `name bytes messages fields median_ns_per_pass sink`.
import Glibc
import HTTP1Parser

/// What the loop consumes, mirroring the C callbacks: the bytes of the target, of every field name
/// and value and of the body, and the number of fields and messages.
struct Sink {
    var bytes = 0
    var fields = 0
    var messages = 0
}

/// Parses `buffer` from its first byte to its last with `parser`, as a server does with the bytes
/// of one read: one event per call, consumed bytes dropped, until the parser needs more.
@inline(never)
func parsePass(_ buffer: UnsafeRawBufferPointer, _ parser: inout RequestParser, _ sink: inout Sink) {
    var offset = 0
    while true {
        let (event, consumed) = parser.parse(UnsafeRawBufferPointer(rebasing: buffer[offset...]))
        offset += consumed
        switch event {
        case .head:
            sink.bytes &+= parser.head.target.count
            let fields = parser.head.fields
            sink.fields &+= fields.count
            for field in fields {
                sink.bytes &+= field.name.count &+ field.value.count
            }
        case .body(let range):
            sink.bytes &+= range.count
        case .end:
            sink.messages &+= 1
        case .needMore:
            guard offset == buffer.count else { fatalError("the corpus file ends inside a message") }
            return
        case .error(let error):
            fatalError("corpus file refused: \(error)")
        }
    }
}

func readFile(_ path: String) -> [UInt8] {
    guard let file = fopen(path, "rb") else { fatalError("cannot open \(path)") }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        if count == 0 { break }
        bytes += chunk[..<count]
    }
    return bytes
}

func nanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

@main
struct ParserBench {
    static func main() {
        let arguments = CommandLine.arguments
        guard arguments.count >= 4, let kib = Int(arguments[1]), let repeats = Int(arguments[2]), repeats > 0 else {
            fputs("usage: parser-bench KIB_PER_REPEAT REPEATS FILE...\n", stderr)
            exit(2)
        }
        for path in arguments[3...] {
            let bytes = readFile(path)
            let iterations = max(1, kib * 1024 / bytes.count)
            var parser = RequestParser()
            var sink = Sink()
            var samples: [UInt64] = []
            var messagesPerPass = 0
            var fieldsPerPass = 0
            bytes.withUnsafeBytes { buffer in
                for _ in 0..<repeats {
                    let before = sink
                    let start = nanoseconds()
                    for _ in 0..<iterations {
                        parsePass(buffer, &parser, &sink)
                    }
                    samples.append(nanoseconds() - start)
                    messagesPerPass = (sink.messages - before.messages) / iterations
                    fieldsPerPass = (sink.fields - before.fields) / iterations
                }
            }
            samples.sort()
            let median = Double(samples[repeats / 2]) / Double(iterations)
            let name = path.split(separator: "/").last.map(String.init) ?? path
            let formatted = String(Int((median * 100).rounded()))
            let decimals = formatted.count > 2 ? formatted : String(repeating: "0", count: 3 - formatted.count) + formatted
            print("\(name) \(bytes.count) \(messagesPerPass) \(fieldsPerPass) \(decimals.dropLast(2)).\(decimals.suffix(2)) \(sink.bytes)")
        }
    }
}
