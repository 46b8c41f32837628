// `swift run parser-seeds DIR`: writes every parser fixture up to 4 KiB
// (Tests/HTTP1ParserTests/Fixtures) as a libFuzzer input for the parser target (layout:
// `FuzzInput` in Fuzz/ParserFuzzer.swift) into DIR. This is how Fuzz/corpus was made; rerun it
// when fixtures are added (Fuzz/README.md). Debug builds only (it reads the fixtures through
// tested internals).
#if DEBUG
import Foundation
import HTTP1Parser
@testable import ParserFixtures

@main struct ParserSeeds {
    static func main() throws {
        guard CommandLine.arguments.count == 2 else {
            FileHandle.standardError.write(Data("usage: parser-seeds DIRECTORY\n".utf8))
            exit(2)
        }
        guard FixtureSet.loaded.problems.isEmpty else {
            FileHandle.standardError.write(Data((FixtureSet.loaded.problems.joined(separator: "\n") + "\n").utf8))
            exit(1)
        }
        let directory = URL(fileURLWithPath: CommandLine.arguments[1])
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var written = 0
        for fixture in FixtureSet.fixtures where fixture.request.count <= 4096 - 9 {
            let seed = stableSeed(fixture.testDescription)
            let name = "fixture-" + String(fixture.file.dropLast(3)) + "-" + String(seed, radix: 16)
            try Data(header(fixture, seed: seed) + fixture.request).write(to: directory.appendingPathComponent(name))
            written += 1
        }
        print("\(written) seeds in \(directory.path)")
    }

    /// The fuzz input's header: its flags (bare LF allowed; small limits follow), the split seed,
    /// and the fixture's limits when they differ from the defaults (clamped to what a byte holds).
    static func header(_ fixture: Fixture, seed: UInt64) -> [UInt8] {
        var header: [UInt8] = [fixture.leniencies.contains(.allowBareLF) ? 1 : 0, UInt8(truncatingIfNeeded: seed | 1)]
        let limits = fixture.limits
        let defaults = ParserLimits()
        if limits.maxRequestLineLength != defaults.maxRequestLineLength || limits.maxFieldLength != defaults.maxFieldLength
            || limits.maxFieldCount != defaults.maxFieldCount || limits.maxHeadLength != defaults.maxHeadLength
            || limits.maxBodyLength != defaults.maxBodyLength
            || limits.maxChunkExtensionLength != defaults.maxChunkExtensionLength
            || limits.maxTrailerLength != defaults.maxTrailerLength
        {
            header[0] |= 2
            header += [
                min(limits.maxRequestLineLength, 255), min(limits.maxFieldLength, 255), min(limits.maxFieldCount, 15),
                min(limits.maxHeadLength / 4, 255), min(limits.maxBodyLength, 255),
                min(limits.maxChunkExtensionLength, 63), min(limits.maxTrailerLength, 255),
            ].map { UInt8($0) }
        }
        return header
    }
}
#else
@main struct ParserSeeds {
    static func main() {
        print("parser-seeds needs a debug build (it reads the fixtures through tested internals)")
    }
}
#endif
