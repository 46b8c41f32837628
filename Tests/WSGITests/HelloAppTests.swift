import DemoApps
import Testing
import WSGI

@Suite struct HelloAppTests {
    @Test(arguments: [("/", "Index"), ("/x", "Hello"), ("/index.html", "Hello"), ("", "Hello")])
    func answersByPath(path: String, body: String) throws {
        let response = try collect(HelloApp().application, makeEnviron(path: path))
        #expect(response.status == "200 OK")
        #expect(response.headers.map(\.0) == ["Content-Type", "Content-Length"])
        #expect(response.header("Content-Type") == "text/plain")
        #expect(response.header("Content-Length") == "5")
        #expect(response.chunks.map(\.description) == [body])
    }

    /// The hot path builds nothing per request: every call hands out the same header array and
    /// the same chunk array (one storage, shared), and the chunk is constant data. Both responses
    /// are kept alive while compared, so a freed buffer cannot be reused at the same address.
    @Test func everyRequestSharesTheSameStorage() throws {
        func respond() throws -> (headers: ResponseHeaders, chunk: Bytes?) {
            let recorder = RecordingStartResponse()
            var body = try HelloApp()(makeEnviron(path: "/"), recorder.startResponse)
            defer { body.close() }
            return (recorder.calls[0].headers, try body.next())
        }
        let first = try respond()
        let second = try respond()
        let headers = [first, second].map { $0.headers.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) } }
        let chunks = [first, second].map { $0.chunk?.withUnsafeBytes { $0.baseAddress } }
        #expect(headers[0] != nil && headers[0] == headers[1])
        #expect(chunks[0] != nil && chunks[0] == chunks[1])
    }

    @Test func keepsTheContract() {
        let run = ValidatedRun(HelloApp().application)
        #expect(run.checks == [])
        #expect(run.response?.bodyText == "Index")
    }
}
