// libFuzzer target over whole connections to the Python host: the real `Connection` with
// `swift-wsgi`'s gateway behind it (the environ dict, `wsgi.input`, start_response's checks of
// status and headers given as Python objects, body items of every type, `write()`, errors before
// and after the head) and Fuzz/PythonFuzzer/fuzz_app.py as the application, on the embedded
// interpreter, through the in-memory transport. Inputs are laid out as for the connection target
// (`FuzzInput`); requests to /spec... carry the response the application is to make.
//
// Built by `Fuzz/run.sh ... python` like the connection target; a plain (debug) build replays
// files. Each input runs whole and cut; every broken rule is a `fatalError`.
#if DEBUG
import CPython
import Foundation
import HTTPServerCore
import Logging
import PythonHost
@testable import ConnectionHarness

/// The interpreter and the application, started once per process (on the fuzzer's thread, which
/// also runs every request: the application runs inline, as without `--threads`).
let fuzzedApplication: PythonApplication = {
    let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
    do {
        return try PythonInterpreter.embeddedApplication("fuzz_app:application", paths: [directory])
    } catch {
        fatalError("cannot start the fuzzed application: \(error)")
    }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOnePythonConnection(_ data: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    guard let input = FuzzInput(UnsafeBufferPointer(start: data, count: count)) else { return 0 }
    let whole = PythonRun(input, pieces: [input.stream.count])
    let cut = PythonRun(input, pieces: input.pieces())
    check(whole.accepted == cut.accepted, "the application saw \(whole.accepted) requests whole, \(cut.accepted) cut")
    check(whole.answers == cut.answers, "different responses whole and cut:\n\(whole.answers)\n\(cut.answers)")
    return 0
}

/// One run: the stream delivered in `pieces`; the sequence rules checked; a response of the
/// application is a 200 (its echo), the status its /spec asked for, or a 500 (it broke the
/// protocol before its head).
struct PythonRun {
    let accepted: Int
    let answers: [String]

    init(_ input: FuzzInput, pieces: [Int]) {
        let responder = fuzzedApplication.responder  // first: starts the interpreter
        let before = PythonRun.methodsSeen().count
        let client: MemoryConnection
        do {
            client = try MemoryConnection(deferring: input.defersOutput, configure: input.configure) { _ in responder }
        } catch {
            fatalError("harness: \(error)")
        }
        client.deliver(input, in: pieces)
        let methods = PythonRun.methodsSeen().dropFirst(before)
        accepted = methods.count
        do {
            let output = try client.fuzzedResponses { index in index < methods.count && methods[before + index] == "HEAD" }
            checkSequence(output.responses, cut: output.cut, accepted: accepted, ended: client.transport.isShutDown || client.transport.isClosed)
            answers = ConnectionHarness.answers(output.responses) + (output.cut ? ["cut"] : [])
        } catch {
            fatalError("malformed output: \(error)")
        }
    }

    /// `fuzz_app.seen`: the methods of the requests the application read whole so far.
    static func methodsSeen() -> [String] {
        let state = PyGILState_Ensure()
        defer { PyGILState_Release(state) }
        guard let module = PyImport_ImportModule("fuzz_app"), let seen = PyObject_GetAttrString(module, "seen") else {
            PyErr_Print()
            fatalError("fuzz_app.seen is missing")
        }
        defer {
            Py_DecRef(seen)
            Py_DecRef(module)
        }
        return (0..<PyList_Size(seen)).map { index in
            PyList_GetItem(seen, index).flatMap(PyUnicode_AsUTF8).map { String(cString: $0) } ?? "?"
        }
    }
}

#if !LIBFUZZER
/// The replayer: every file named on the command line, once.
@main struct Replay {
    static func main() throws { try replayFiles(fuzzOnePythonConnection) }
}
#endif
#else
@main struct Replay {
    static func main() {
        print("python-fuzzer needs a debug build (it tests internals through @testable imports)")
    }
}
#endif
