import Testing
import WSGI

/// `BytesInput` follows buffered Python file semantics (PEP 3333 S24-S29).
@Suite struct BytesInputTests {
    @Test func readReturnsExactlyTheSizeAskedUntilTheEnd() throws {
        let input = BytesInput("0123456789")
        #expect(try input.read(4) == "0123")
        #expect(try input.read(0) == "")
        #expect(try input.read(4) == "4567")
        #expect(try input.read(4) == "89")
        #expect(try input.read(4) == "")
    }

    @Test func readWithoutSizeReturnsTheRest() throws {
        let input = BytesInput("abcdef")
        #expect(try input.read(2) == "ab")
        #expect(try input.read() == "cdef")
        #expect(try input.read() == "")
        #expect(try BytesInput("xy").read(-5) == "xy")
    }

    @Test func readlineKeepsTheNewlineAndHonoursSize() throws {
        let input = BytesInput("abcdef\nsecond\nlast")
        #expect(try input.readline(3) == "abc")
        #expect(try input.readline() == "def\n")
        #expect(try input.readline(0) == "")
        #expect(try input.readline(100) == "second\n")
        #expect(try input.readline() == "last")
        #expect(try input.readline() == "")
    }

    @Test func readlinesReturnsTheRemainingLines() throws {
        let input = BytesInput("one\ntwo\nthree")
        _ = try input.read(1)
        #expect(try input.readlines() == ["ne\n", "two\n", "three"])
        #expect(try input.readlines() == [])
    }

    @Test func readlinesStopsOnceTheHintIsReached() throws {
        let input = BytesInput("one\ntwo\nthree\n")
        #expect(try input.readlines(5) == ["one\n", "two\n"])
        #expect(try input.readlines(0) == ["three\n"])
    }

    @Test func linesIterates() throws {
        var lines = BytesInput("a\nb\n\nc").lines
        var seen: [Bytes] = []
        while let line = try lines.next() { seen.append(line) }
        #expect(seen == ["a\n", "b\n", "\n", "c"])
    }

    @Test func closeIsHarmless() throws {
        let input = BytesInput("data")
        input.close()
        #expect(try input.read() == "data")
    }
}
