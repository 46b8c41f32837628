// libFuzzer target over whole connections: the real `Connection` (parser, limits, the Swift WSGI
// gateway's environ and response protocol, framing, keep-alive, pipelining, the flush point) driven
// from fuzz input through the in-memory transport (Tests/ConnectionHarness), no sockets.
//
// Built by `Fuzz/run.sh` with SwiftPM's fuzzer and address sanitizers and `-D LIBFUZZER`; a plain
// (debug) build is a replayer: `connection-fuzzer FILE...` runs each input once, which is how a
// crash found in CI is reproduced under the debugger.
//
// Each input is run twice, once delivered whole and once cut into pieces, and both runs must agree.
// Every broken rule is a `fatalError`, which libFuzzer records as a crash (see `ConnectionRun`).
#if DEBUG
@testable import ConnectionHarness

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneConnection(_ data: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    guard let input = FuzzInput(UnsafeBufferPointer(start: data, count: count)) else { return 0 }
    let whole = ConnectionRun(input, pieces: [input.stream.count])
    let cut = ConnectionRun(input, pieces: input.pieces())
    // Split independence: the same requests reached the application and got the same answers.
    check(whole.seen == cut.seen, "the application saw different requests whole and cut:\n\(whole.seen)\n\(cut.seen)")
    check(whole.answers == cut.answers, "different responses whole and cut:\n\(whole.answers)\n\(cut.answers)")
    return 0
}

#if !LIBFUZZER
/// The replayer: every file named on the command line, once.
@main struct Replay {
    static func main() throws { try replayFiles(fuzzOneConnection) }
}
#endif
#else
@main struct Replay {
    static func main() {
        print("connection-fuzzer needs a debug build (it tests internals through @testable imports)")
    }
}
#endif
