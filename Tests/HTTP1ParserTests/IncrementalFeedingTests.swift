import HTTP1Parser
@testable import ParserFixtures
import Testing

/// Requests used to check that the events do not depend on how the bytes are split.
let wellFormedCorpus: [String] = [
    "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET /search?q=swift&lang=en HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nAccept: text/html,application/xhtml+xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\nCookie: a=1; b=2\r\nConnection: keep-alive\r\n\r\n",
    "POST /form HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 13\r\n\r\nname=value&x=",
    "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a=\"x\\\\y\"\r\nZ\r\n10\r\n0123456789abcdef\r\n0\r\nT: 1\r\n\r\n",
    "\r\nGET http://a.example/p?q HTTP/1.0\r\nConnection: keep-alive\r\n\r\nOPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
    "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n",
    "PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabcGET /y HTTP/1.1\r\nHost: a\r\n\r\n",
]

@Suite("Incremental feeding")
struct IncrementalFeedingTests {
    @Test(arguments: wellFormedCorpus)
    func sameRecordsForEverySplit(_ text: String) {
        let records = splitIndependentTranscript(latin1(text))
        #expect(!records.contains { if case .error = $0 { true } else { false } })
    }

    @Test(arguments: 0..<wellFormedCorpus.count)
    func everyProperPrefixNeedsMore(_ index: Int) {
        let bytes = latin1(wellFormedCorpus[index])
        let whole = transcript(bytes)
        let firstHeadLength = whole.first?.head?.length ?? 0
        #expect(firstHeadLength > 0)
        for length in 0..<bytes.count {
            let driver = ParserDriver()
            driver.feed(bytes[..<length])
            let records = driver.records
            #expect(!records.contains { if case .error = $0 { true } else { false } }, "prefix \(length)")
            if length < firstHeadLength {
                #expect(records.isEmpty, "prefix \(length) of the first head produced \(records)")
                #expect(driver.unconsumed == length, "a head is consumed only whole")
            }
            // The last message is never complete before its last byte.
            let ends = records.filter { $0 == .end }.count
            #expect(ends < whole.filter { $0 == .end }.count, "prefix \(length)")
        }
    }

    @Test func finishAfterEveryProperPrefixOfOneRequestIsAnError() {
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        let bytes = latin1(head + "3\r\nabc\r\n0\r\nT: 1\r\n\r\n")
        let headLength = head.utf8.count
        for length in 1..<bytes.count {
            let driver = ParserDriver()
            driver.feed(bytes[..<length])
            driver.finish()
            #expect(driver.records.last == .finish(length < headLength ? .incompleteHead : .incompleteBody), "prefix \(length)")
        }
    }

    @Test func headNeedsMoreWithoutConsumingAndBodyFramingIsConsumed() {
        var parser = RequestParser()
        let partialHead = latin1("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n")
        #expect(partialHead.withUnsafeBytes { parser.parse($0) } == (.needMore, 0))
        let head = partialHead + latin1("\r\n")
        #expect(head.withUnsafeBytes { parser.parse($0) } == (.head, head.count))
        // A chunk-size line is consumed as it is read, even incomplete.
        #expect(latin1("1;ext").withUnsafeBytes { parser.parse($0) } == (.needMore, 5))
        #expect(latin1("=v\r\nxy").withUnsafeBytes { parser.parse($0) } == (.body(4..<5), 5))
        #expect(latin1("y").withUnsafeBytes { parser.parse($0) } == (.error(.missingChunkTerminator), 0))
    }

    @Test func partialTrailerLineIsLeftUnconsumed() {
        var parser = RequestParser()
        let head = latin1("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(head.withUnsafeBytes { parser.parse($0) } == (.head, head.count))
        #expect(latin1("0\r\nA: 1\r\nB:").withUnsafeBytes { parser.parse($0) } == (.needMore, 9))
        #expect(latin1("B: 2\r\n").withUnsafeBytes { parser.parse($0) } == (.needMore, 6))
        #expect(latin1("\r\nGET").withUnsafeBytes { parser.parse($0) } == (.end, 2))
        #expect(Bool(parser.isBetweenMessages))
        #expect(latin1("GET").withUnsafeBytes { parser.parse($0) } == (.needMore, 0))
        #expect(!Bool(parser.isBetweenMessages))
    }

    @Test func endFollowsABodylessHeadEvenWithNoBytes() {
        var parser = RequestParser()
        let request = latin1("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(request.withUnsafeBytes { parser.parse($0) } == (.head, request.count))
        #expect(Bool(parser.isBetweenMessages), "the message is complete; only .end is left to collect")
        #expect(parser.parse(UnsafeRawBufferPointer(start: nil, count: 0)) == (.end, 0))
        #expect(parser.parse(UnsafeRawBufferPointer(start: nil, count: 0)) == (.needMore, 0))
    }

    @Test func headStaysValidUntilTheNextMessageStarts() {
        var parser = RequestParser()
        let request = latin1("GET /first HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = request.withUnsafeBytes { parser.parse($0) }
        #expect(parser.parse(UnsafeRawBufferPointer(start: nil, count: 0)) == (.end, 0))
        #expect(parser.parse(UnsafeRawBufferPointer(start: nil, count: 0)) == (.needMore, 0))
        #expect(parser.head.target == 4..<10)
        #expect(parser.head.fields.count == 1)
        #expect(latin1("P").withUnsafeBytes { parser.parse($0) } == (.needMore, 0))
        #expect(parser.head.fields.isEmpty)
    }

    @Test func errorsAreTerminal() {
        var parser = RequestParser()
        let bad = latin1("GET / HTTP/1.1\r\nHost: a\r\nX : y\r\n\r\n")
        #expect(bad.withUnsafeBytes { parser.parse($0) } == (.error(.whitespaceBeforeColon), 0))
        let good = latin1("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(good.withUnsafeBytes { parser.parse($0) } == (.error(.whitespaceBeforeColon), 0))
        #expect(parser.parse(UnsafeRawBufferPointer(start: nil, count: 0)) == (.error(.whitespaceBeforeColon), 0))
        #expect(!Bool(parser.isBetweenMessages))
        #expect(parser.finish() == .whitespaceBeforeColon)
        #expect(parser.finish() == .whitespaceBeforeColon)
    }

    @Test func finishBetweenAndInsideMessages() {
        var parser = RequestParser()
        #expect(Bool(parser.isBetweenMessages))
        #expect(parser.finish() == nil)
        #expect(latin1("\r\n\r\n").withUnsafeBytes { parser.parse($0) } == (.needMore, 0))
        #expect(Bool(parser.isBetweenMessages), "empty lines before a request are not part of it")
        #expect(parser.finish() == nil)

        var inHead = RequestParser()
        #expect(latin1("G").withUnsafeBytes { inHead.parse($0) } == (.needMore, 0))
        #expect(!Bool(inHead.isBetweenMessages))
        #expect(inHead.finish() == .incompleteHead)
        #expect(latin1("GET / HTTP/1.1\r\nHost: a\r\n\r\n").withUnsafeBytes { inHead.parse($0) } == (.error(.incompleteHead), 0))

        var inBody = RequestParser()
        let head = latin1("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n")
        #expect(head.withUnsafeBytes { inBody.parse($0) } == (.head, head.count))
        #expect(!Bool(inBody.isBetweenMessages))
        #expect(latin1("a").withUnsafeBytes { inBody.parse($0) } == (.body(0..<1), 1))
        #expect(inBody.finish() == .incompleteBody)

        var complete = RequestParser()
        #expect(head.withUnsafeBytes { complete.parse($0) } == (.head, head.count))
        #expect(latin1("ab").withUnsafeBytes { complete.parse($0) } == (.body(0..<2), 2))
        #expect(Bool(complete.isBetweenMessages), "the body is complete; only .end is left to collect")
        #expect(complete.finish() == nil)
    }

    /// Feeding a head one byte at a time must cost linear time: 256 KiB of head in one-byte reads
    /// takes milliseconds when each call resumes where the last stopped, minutes if it rescans.
    @Test func oneByteAtATimeIsLinear() {
        var limits = ParserLimits()
        limits.maxHeadLength = 1 << 20
        limits.maxFieldLength = 1 << 20
        let value = String(repeating: "v", count: 256 * 1024)
        let bytes = latin1("GET / HTTP/1.1\r\nHost: a\r\nX-Long: \(value)\r\n\r\n")
        let clock = ContinuousClock()
        var parser = RequestParser(limits: limits)
        let elapsed = clock.measure {
            bytes.withUnsafeBytes { all in
                for length in 1..<all.count {
                    let result = parser.parse(UnsafeRawBufferPointer(rebasing: all[..<length]))
                    precondition(result == (.needMore, 0))
                }
                precondition(parser.parse(all) == (.head, all.count))
            }
        }
        #expect(parser.head.fields.last?.value.count == value.utf8.count)
        #expect(elapsed < .seconds(10), "one-byte feeding took \(elapsed)")
    }
}
