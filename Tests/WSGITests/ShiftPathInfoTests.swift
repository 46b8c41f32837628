import Testing
import WSGI

/// `shiftPathInfo` against CPython 3.11's `wsgiref.util.shift_path_info` (expected values computed
/// by running it on `{"SCRIPT_NAME": script, "PATH_INFO": path}`).
@Suite struct ShiftPathInfoTests {
    struct ShiftCase: Sendable, CustomTestStringConvertible {
        let script: String
        let path: String
        let name: String?
        let newScript: String
        let newPath: String

        var testDescription: String { "\(script.debugDescription) + \(path.debugDescription)" }
    }

    static let cases: [ShiftCase] = [
        ShiftCase(script: "", path: "/a/b", name: "a", newScript: "/a", newPath: "/b"),
        ShiftCase(script: "/x", path: "/a/b/", name: "a", newScript: "/x/a", newPath: "/b/"),
        ShiftCase(script: "", path: "", name: nil, newScript: "", newPath: ""),
        ShiftCase(script: "", path: "/", name: "", newScript: "/", newPath: ""),
        ShiftCase(script: "/x", path: "//a///b", name: "a", newScript: "/x/a", newPath: "/b"),
        ShiftCase(script: "", path: "/./a", name: "a", newScript: "/a", newPath: ""),
        ShiftCase(script: "", path: "/.", name: nil, newScript: "", newPath: ""),
        ShiftCase(script: "/a", path: "/..", name: "..", newScript: "", newPath: ""),
        ShiftCase(script: "", path: "/a/./b/../c", name: "a", newScript: "/a", newPath: "/b/../c"),
        ShiftCase(script: "/x/y", path: "/../z", name: "..", newScript: "/x", newPath: "/z"),
        ShiftCase(script: "", path: "a/b", name: "b", newScript: "/b", newPath: "a"),
        ShiftCase(script: "", path: "//a", name: "a", newScript: "/a", newPath: ""),
        ShiftCase(script: "/app", path: "/", name: "", newScript: "/app/", newPath: ""),
        ShiftCase(script: "/app/", path: "/x", name: "x", newScript: "/app/x", newPath: ""),
        ShiftCase(script: "", path: "/a/", name: "a", newScript: "/a", newPath: "/"),
        ShiftCase(script: "", path: "/caf\u{E9}/x", name: "caf\u{E9}", newScript: "/caf\u{E9}", newPath: "/x"),
        ShiftCase(script: "/", path: "/x", name: "x", newScript: "//x", newPath: ""),
        ShiftCase(script: "//s", path: "/x", name: "x", newScript: "//s/x", newPath: ""),
        ShiftCase(script: "///s", path: "/x", name: "x", newScript: "/s/x", newPath: ""),
        ShiftCase(script: "app", path: "/..", name: "..", newScript: ".", newPath: ""),
        ShiftCase(script: "app/b", path: "/../..", name: "..", newScript: "app", newPath: "/.."),
    ]

    @Test(arguments: cases)
    func matchesCPython(_ shift: ShiftCase) {
        var environ: Environ = ["SCRIPT_NAME": .string(shift.script), "PATH_INFO": .string(shift.path)]
        #expect(environ.shiftPathInfo() == shift.name)
        #expect(environ["SCRIPT_NAME"] == shift.newScript)
        #expect(environ["PATH_INFO"] == shift.newPath)
    }

    @Test func shiftingRepeatedlyWalksThePath() {
        var environ: Environ = ["SCRIPT_NAME": "", "PATH_INFO": "/a/b/c"]
        var names: [String] = []
        while let name = environ.shiftPathInfo() { names.append(name) }
        #expect(names == ["a", "b", "c"])
        #expect(environ["SCRIPT_NAME"] == "/a/b/c")
        #expect(environ["PATH_INFO"] == "")
    }

    /// CPython raises IndexError here; this returns nil and leaves the environ as it was.
    @Test func aPathWithoutSlashIsLeftAlone() {
        var environ: Environ = ["SCRIPT_NAME": "/s", "PATH_INFO": "abc"]
        #expect(environ.shiftPathInfo() == nil)
        #expect(environ["SCRIPT_NAME"] == "/s" && environ["PATH_INFO"] == "abc")
    }

    @Test func missingKeysCountAsEmpty() {
        var environ: Environ = ["PATH_INFO": "/a"]
        #expect(environ.shiftPathInfo() == "a")
        #expect(environ["SCRIPT_NAME"] == "/a")
        var empty = Environ()
        #expect(empty.shiftPathInfo() == nil)
        #expect(empty.isEmpty)
    }
}
