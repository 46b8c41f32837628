import DemoApps
import Testing
import WSGI

@Suite struct StreamAppTests {
    @Test func defaultsToOneGibibyteInChunksOf64KiB() throws {
        let recorder = RecordingStartResponse()
        var body = try StreamApp()(makeEnviron(), recorder.startResponse)
        defer { body.close() }
        #expect(recorder.calls.first?.headers.first { $0.0 == "Content-Length" }?.1 == "1073741824")
        var chunks = 0
        var bytes = 0
        while let chunk = try body.next() {
            chunks += 1
            bytes += chunk.count
        }
        #expect(chunks == 16384)
        #expect(bytes == 1 << 30)
    }

    @Test func queryChoosesCountAndSize() throws {
        let response = try collect(StreamApp().application, makeEnviron(path: "/any/path", query: "n=3&size=4"))
        #expect(response.status == "200 OK")
        #expect(response.header("Content-Length") == "12")
        #expect(response.header("Content-Type") == "text/plain")
        #expect(response.chunks == ["xxxx", "xxxx", "xxxx"])
    }

    /// The chunk buffer is allocated once: every step hands out the same storage.
    @Test func everyStepReusesOneBuffer() throws {
        var body = try StreamApp()(makeEnviron(query: "n=4&size=1024"), RecordingStartResponse().startResponse)
        defer { body.close() }
        // Every chunk is kept alive, so a freed buffer cannot come back at the same address.
        var chunks: [Bytes] = []
        while let chunk = try body.next() { chunks.append(chunk) }
        #expect(chunks.count == 4)
        #expect(Set(chunks.map { $0.withUnsafeBytes { $0.baseAddress! } }).count == 1)
    }

    @Test(arguments: ["size=\(1 << 30)", "n=\(Int.max)&size=2"])
    func refusesBodiesItWillNotProduce(query: String) {
        let recorder = RecordingStartResponse()
        #expect(throws: DemoAppError.self) { try StreamApp()(makeEnviron(query: query), recorder.startResponse) }
        #expect(recorder.calls.isEmpty)
    }

    @Test func keepsTheContract() {
        let run = ValidatedRun(StreamApp().application, makeEnviron(query: "n=5&size=100"))
        #expect(run.checks == [])
        #expect(run.response?.body.count == 500)
    }
}
