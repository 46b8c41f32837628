import Testing
import WSGI

@Suite struct EnvironTests {
    @Test func stringSubscriptReadsOnlyStrings() {
        let environ: Environ = ["PATH_INFO": "/x", "wsgi.run_once": true]
        #expect(environ["PATH_INFO"] == "/x")
        #expect(environ["wsgi.run_once"] == nil)
        #expect(environ["MISSING"] == nil)
        #expect(environ["MISSING", default: "fallback"] == "fallback")
        #expect(environ["PATH_INFO", default: "fallback"] == "/x")
    }

    @Test func assigningNilRemovesTheKey() {
        var environ: Environ = ["A": "1", "B": "2"]
        environ["A"] = nil
        environ[value: "B"] = nil
        #expect(environ.isEmpty)
        environ["C"] = "3"
        #expect(environ.contains("C") && environ.count == 1)
        #expect(environ.removeValue(forKey: "C")?.stringValue == "3")
        #expect(!environ.contains("C"))
    }

    @Test func aCopyIsIndependent() {
        let original: Environ = ["PATH_INFO": "/a"]
        var copy = original
        copy["PATH_INFO"] = "/b"
        copy["x.added"] = "1"
        #expect(original["PATH_INFO"] == "/a")
        #expect(!original.contains("x.added"))
    }

    @Test func dictionaryLiteralKeepsTheLastDuplicate() {
        let environ: Environ = ["K": "first", "K": "second"]
        #expect(environ["K"] == "second")
        #expect(environ.count == 1)
    }

    @Test func typedAccessorsHaveDefaultsWhenAbsent() throws {
        let environ = Environ()
        #expect(environ.version == (1, 0))
        #expect(environ.urlScheme == "http")
        #expect(!environ.multithread && !environ.multiprocess && !environ.runOnce && !environ.inputTerminated)
        #expect(try environ.input.read().isEmpty)
        #expect(environ.errors === StandardErrorOutput.shared)
        #expect(environ.fileWrapper == nil)
    }

    @Test func typedAccessorsStoreTheirEntries() throws {
        var environ = Environ()
        environ.urlScheme = "https"
        environ.multithread = true
        environ.inputTerminated = true
        environ.input = BytesInput("body")
        environ.version = (1, 0)
        #expect(environ["wsgi.url_scheme"] == "https")
        #expect(environ[value: "wsgi.multithread"]?.boolValue == true)
        #expect(environ[value: "wsgi.input_terminated"]?.boolValue == true)
        #expect(try environ.input.read() == "body")
        guard case .version(1, 0)? = environ[value: "wsgi.version"] else {
            Issue.record("wsgi.version not stored as (1, 0)")
            return
        }
    }

    @Test func iterationVisitsEveryEntry() {
        let environ: Environ = ["A": "1", "B": 2, "c.d": true]
        #expect(Set(environ.map(\.key)) == ["A", "B", "c.d"])
        #expect(Set(environ.keys) == ["A", "B", "c.d"])
    }

    @Test func valuesDescribeThemselvesLikePython() {
        #expect(EnvironValue.string("x").description == #""x""#)
        #expect(EnvironValue.bool(true).description == "True")
        #expect(EnvironValue.version(major: 1, minor: 0).description == "(1, 0)")
    }
}
