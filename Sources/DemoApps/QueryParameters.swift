/// A query string parsed as the echo reference parses it, Python's
/// `urllib.parse.parse_qs(query, keep_blank_values=True)`, keeping the first value of each name.
///
/// Fields are split on `&` (empty ones skipped), each at its first `=` (no `=`: an empty value);
/// `+` means a space, and `%XX` escapes decode as UTF-8 with replacement.
struct QueryParameters {
    private var values: [String: String] = [:]

    init(_ query: String) {
        for field in query.unicodeScalars.split(separator: "&") {
            let name = field.prefix { $0 != "=" }
            let value = field.dropFirst(name.count + 1)
            let key = unquotePlus(name)
            if values[key] == nil { values[key] = unquotePlus(value) }
        }
    }

    /// The first value given for `name`.
    subscript(name: String) -> String? { values[name] }

    /// The first value for `name` as Python's `int()` reads it; `nil` when absent or not an integer.
    func integer(_ name: String) -> Int? { values[name].flatMap { pythonInteger($0[...]) } }
}

/// Python's `unquote(text.replace("+", " "))`: each run of ASCII characters is percent-decoded to
/// bytes (an invalid escape stays as it is) and decoded as UTF-8 with replacement; other
/// characters are kept.
private func unquotePlus(_ text: Substring.UnicodeScalarView) -> String {
    var result = String.UnicodeScalarView()
    var run: [UInt8] = []
    func flushRun() {
        result.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
        run.removeAll(keepingCapacity: true)
    }
    var scalars = text[...]
    while let scalar = scalars.popFirst() {
        guard scalar.isASCII else {
            flushRun()
            result.append(scalar)
            continue
        }
        if scalar == "%", let high = hexValue(scalars.first), let low = hexValue(scalars.dropFirst().first) {
            run.append(high << 4 | low)
            scalars = scalars.dropFirst(2)
        } else {
            run.append(scalar == "+" ? UInt8(ascii: " ") : UInt8(scalar.value))
        }
    }
    flushRun()
    return String(result)
}

private func hexValue(_ scalar: Unicode.Scalar?) -> UInt8? {
    guard let scalar, scalar.isASCII, let digit = UInt8(String(scalar), radix: 16) else { return nil }
    return digit
}
