import HTTP1Parser
@testable import ParserFixtures
import Testing

@Suite("Randomized splits and mutations")
struct RandomizedSplitTests {
    /// Bytes that sit on grammar boundaries, so mutations hit the interesting rules.
    private static let interestingBytes: [UInt8] = latin1(" \t\r\n:;=\",#?/*0aF\u{0}\u{7F}\u{80}\u{FF}")

    /// Mutates corpus requests (replace, insert or delete a byte), then checks that the records do
    /// not depend on the split (whole, random cuts, one byte at a time) and that the parser never
    /// reads outside its input (debug builds assert on every read).
    @Test(arguments: 0..<8)
    func mutatedRequestsAreSplitIndependent(_ batch: Int) {
        var random = SplitMix64(state: UInt64(batch) &* 7919)
        for round in 0..<150 {
            var bytes = latin1(wellFormedCorpus.randomElement(using: &random)!)
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let position = Int.random(in: 0..<bytes.count, using: &random)
                let byte = Bool.random(using: &random)
                    ? Self.interestingBytes.randomElement(using: &random)! : UInt8.random(in: 0...255, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[position] = byte
                case 1: bytes.insert(byte, at: position)
                default: if bytes.count > 1 { bytes.remove(at: position) }
                }
            }
            var limits = ParserLimits()
            if Bool.random(using: &random) {
                limits.maxRequestLineLength = Int.random(in: 1...80, using: &random)
                limits.maxFieldLength = Int.random(in: 1...80, using: &random)
                limits.maxHeadLength = Int.random(in: 1...300, using: &random)
                limits.maxFieldCount = Int.random(in: 0...8, using: &random)
                limits.maxBodyLength = Int.random(in: 0...20, using: &random)
                limits.maxChunkExtensionLength = Int.random(in: 0...10, using: &random)
                limits.maxTrailerLength = Int.random(in: 0...10, using: &random)
            }
            let leniencies: Leniencies = Bool.random(using: &random) ? .allowBareLF : []
            let whole = transcript(bytes, limits: limits, leniencies: leniencies)
            var cuts: [Int] = []
            var remaining = bytes.count
            while remaining > 0 {
                let size = Int.random(in: 1...max(1, remaining / 2), using: &random)
                cuts.append(size)
                remaining -= size
            }
            let description = "batch \(batch) round \(round): \(latin1String(bytes).debugDescription)"
            #expect(transcript(bytes, chunkSizes: cuts, limits: limits, leniencies: leniencies) == whole, "\(description), cuts \(cuts)")
            #expect(byteByByteTranscript(bytes, limits: limits, leniencies: leniencies) == whole, "\(description)")
        }
    }

    /// Random bytes (no structure at all) fed in random pieces never crash and agree with whole feeding.
    @Test func randomBytes() {
        var random = SplitMix64(state: 42)
        for _ in 0..<300 {
            let bytes = (0..<Int.random(in: 0...64, using: &random)).map { _ in
                Bool.random(using: &random) ? Self.interestingBytes.randomElement(using: &random)! : UInt8.random(in: 0...255, using: &random)
            }
            let prefixed = latin1("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n") + bytes
            for input in [bytes, prefixed] {
                #expect(byteByByteTranscript(input) == transcript(input), "\(latin1String(input).debugDescription)")
            }
        }
    }

    /// The parser lives per connection: its inline state must stay small (the field table is on the heap,
    /// empty until the first request; its pointer, count and capacity are the inline part).
    @Test func parserStateIsSmall() {
        #expect(MemoryLayout<RequestParser>.size <= 344, "\(MemoryLayout<RequestParser>.size) bytes")
    }
}
