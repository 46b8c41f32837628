import HTTPServerCore
import SharedBytes
import Testing
import WSGI
import WSGIGateway

/// The PEP 3333 response state machine on its own: calls in, parts and errors out.
@Suite struct ResponseProtocolTests {
    static func head(_ status: String = "200 OK", _ headers: ResponseHeaders = []) throws -> ResponseHead {
        try ResponseHeadEncoder.encode(status: status, headers: headers)
    }

    /// A protocol whose application is running and has called start_response successfully.
    static func started(_ status: String = "200 OK", _ headers: ResponseHeaders = [], isHead: Bool = false) throws -> ResponseProtocol {
        var rules = ResponseProtocol(isHeadRequest: isHead)
        rules.applicationCalled()
        try rules.startResponse(withError: false)
        rules.accept(try head(status, headers))
        return rules
    }

    /// Status, the computed length (nil when the head carries none to add), body and final flag.
    static func describe(_ part: ResponsePart?) -> String {
        switch part {
        case .head(let head, let body, let final)?:
            let length = head.appendsContentLength ? " length=\(head.contentLength!)" : ""
            return "head \(head.status)\(length) body=\(body.map { $0.utf8String } ?? "-") final=\(final)"
        case .chunk(let bytes, let final)?: return "chunk \(bytes.utf8String) final=\(final)"
        case .file?: return "file"
        case .end?: return "end"
        case .abort?: return "abort"
        case nil: return "nil"
        }
    }

    @Test func theHeadWaitsForTheFirstNonEmptyChunk() throws {
        var rules = try Self.started()
        rules.applicationReturned()
        #expect(Self.describe(try rules.chunk("", isLast: false)) == "nil")
        #expect(Self.describe(try rules.chunk("a", isLast: false)) == "head 200 body=a final=false")
        #expect(Self.describe(try rules.chunk("b", isLast: false)) == "chunk b final=false")
        #expect(Self.describe(try rules.end()) == "end")
        #expect(rules.stage == .finished)
    }

    @Test func aBodyKnownToBeOneChunkGetsItsLength() throws {
        var rules = try Self.started()
        rules.applicationReturned()
        #expect(Self.describe(try rules.chunk("hello", isLast: true)) == "head 200 length=5 body=hello final=true")
    }

    @Test func aDeclaredLengthIsNotReplaced() throws {
        var rules = try Self.started("200 OK", [("Content-Length", "9")])
        rules.applicationReturned()
        #expect(Self.describe(try rules.chunk("hello", isLast: true)) == "head 200 body=hello final=true")
    }

    @Test func anEmptyBodySaysZeroExceptForHeadAndBodilessStatuses() throws {
        var get = try Self.started()
        get.applicationReturned()
        #expect(Self.describe(try get.end()) == "head 200 length=0 body=- final=true")

        var head = try Self.started(isHead: true)
        head.applicationReturned()
        #expect(Self.describe(try head.end()) == "head 200 body=- final=true")

        for status in ["204 No Content", "304 Not Modified", "103 Early Hints"] {
            var rules = try Self.started(status)
            rules.applicationReturned()
            #expect(!Self.describe(try rules.end()).contains("length"), "\(status)")
        }
    }

    @Test func writeGoesFirstAndCommitsTheHead() throws {
        var rules = try Self.started()
        #expect(Self.describe(try rules.write("")) == "nil", "an empty write commits nothing")
        #expect(Self.describe(try rules.write("a")) == "head 200 body=a final=false")
        #expect(Self.describe(try rules.write("b")) == "chunk b final=false")
        rules.applicationReturned()
        #expect(Self.describe(try rules.chunk("c", isLast: true)) == "chunk c final=true", "no computed length once data went out")
    }

    @Test func writeIsRefusedBeforeStartResponseAndAfterTheEnd() throws {
        var early = ResponseProtocol(isHeadRequest: false)
        early.applicationCalled()
        #expect(throws: WSGIError.writeBeforeStartResponse) { try early.write("x") }

        var finished = try Self.started()
        finished.finish()
        #expect(throws: ResponseAbandoned.self) { try finished.write("x") }
    }

    @Test func writeDuringTheIterationGoesBeforeWhatThatIterationYields() throws {
        // Mercurial's hgweb: the generator calls start_response, then write(), in its first step.
        var hgweb = ResponseProtocol(isHeadRequest: false)
        hgweb.applicationCalled()
        hgweb.applicationReturned()
        try hgweb.startResponse(withError: false)
        hgweb.accept(try Self.head("200 OK"))
        #expect(Self.describe(try hgweb.write("archive")) == "head 200 body=archive final=false")
        #expect(Self.describe(try hgweb.end()) == "end")

        // A later step writes, then yields: the written data first, no computed length.
        var later = try Self.started()
        later.applicationReturned()
        #expect(Self.describe(try later.chunk("a", isLast: false)) == "head 200 body=a final=false")
        #expect(Self.describe(try later.write("b")) == "chunk b final=false")
        #expect(Self.describe(try later.chunk("c", isLast: true)) == "chunk c final=true")
    }

    @Test func startResponseTwiceNeedsAnError() throws {
        var rules = try Self.started()
        #expect(throws: WSGIError.startResponseCalledTwice) { try rules.startResponse(withError: false) }
        // With an error, while nothing was sent: the new head replaces the held one.
        #expect(try rules.startResponse(withError: true) == .replace)
        rules.accept(try Self.head("500 Oops"))
        rules.applicationReturned()
        #expect(Self.describe(try rules.end()) == "head 500 length=0 body=- final=true")
    }

    @Test func anErrorAfterTheHeadIsRaisedAgain() throws {
        var rules = try Self.started()
        _ = try rules.write("sent")
        #expect(try rules.startResponse(withError: true) == .reraise)
    }

    @Test func aSecondCallIsRefusedEvenWhenTheFirstWasRefused() throws {
        var rules = ResponseProtocol(isHeadRequest: false)
        rules.applicationCalled()
        try rules.startResponse(withError: false)
        // The arguments failed their checks: accept(_:) is never called.
        #expect(throws: WSGIError.startResponseCalledTwice) { try rules.startResponse(withError: false) }
    }

    @Test func dataAfterARefusedStartResponseIsAnApplicationError() throws {
        var rules = ResponseProtocol(isHeadRequest: false)
        rules.applicationCalled()
        try rules.startResponse(withError: false)
        rules.applicationReturned()
        #expect(throws: WSGIError.startResponseFailed) { try rules.chunk("x", isLast: false) }
        #expect(throws: WSGIError.startResponseFailed) { try rules.end() }
    }

    @Test func dataWithoutStartResponseIsAnApplicationError() throws {
        var rules = ResponseProtocol(isHeadRequest: false)
        rules.applicationCalled()
        rules.applicationReturned()
        #expect(throws: WSGIError.startResponseNotCalled) { try rules.chunk("x", isLast: false) }
        #expect(throws: WSGIError.startResponseNotCalled) { try rules.end() }
    }

    @Test func startResponseFromTheFirstStepOfTheBodyWorks() throws {
        var rules = ResponseProtocol(isHeadRequest: false)
        rules.applicationCalled()
        rules.applicationReturned()
        try rules.startResponse(withError: false)
        rules.accept(try Self.head())
        #expect(Self.describe(try rules.chunk("lazy", isLast: false)) == "head 200 body=lazy final=false")
    }

    @Test func aFailureIsA500BeforeTheHeadAndAnAbortAfter() throws {
        var before = try Self.started()
        #expect(Self.describe(before.fail()) == "head 500 body=Internal Server Error\n final=true")
        #expect(before.stage == .finished)

        var after = try Self.started()
        _ = try after.write("x")
        #expect(Self.describe(after.fail()) == "abort")
    }

    @Test func aFileGetsItsLengthUnlessDeclaredOrAlreadyStarted() throws {
        var rules = try Self.started()
        let sent = rules.file(available: 1234)
        let file = try #require(sent)
        #expect(Self.describe(file.head) == "head 200 length=1234 body=- final=false")
        #expect(file.length == 1234)

        var declared = try Self.started("200 OK", [("Content-Length", "10")])
        let bounded = declared.file(available: 1234)
        #expect(bounded?.length == 10, "the declared length bounds the file")

        var written = try Self.started()
        _ = try written.write("x")
        let iterated = written.file(available: 1234)
        #expect(iterated == nil, "data went out: the file is iterated")
    }
}
