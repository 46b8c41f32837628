// How the echo reference's Python reads text: matching it keeps the Swift app's answers identical
// for odd inputs too (`n=+5`, `n=1_0`, `/status/%20404`, a padded CONTENT_LENGTH).

/// `text` read as Python's `int(text)` reads it, or `nil` where Python raises `ValueError`:
/// surrounding Unicode whitespace, an optional sign, then decimal digits of any script with single
/// underscores allowed between them. Values beyond `Int` saturate (Python's are unbounded).
func pythonInteger(_ text: Substring) -> Int? {
    var scalars = stripped(text.unicodeScalars[...], where: \.properties.isWhitespace)
    var negative = false
    if let sign = scalars.first, sign == "+" || sign == "-" {
        negative = sign == "-"
        scalars.removeFirst()
    }
    var value = 0
    var sawDigit = false
    var previousWasUnderscore = false
    for scalar in scalars {
        if scalar == "_" {
            guard sawDigit && !previousWasUnderscore else { return nil }
            previousWasUnderscore = true
            continue
        }
        guard scalar.properties.numericType == .decimal, let digit = scalar.properties.numericValue else { return nil }
        let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
        let (sum, overflowAgain) = shifted.addingReportingOverflow(Int(digit))
        value = overflow || overflowAgain ? Int.max : sum
        sawDigit = true
        previousWasUnderscore = false
    }
    guard sawDigit && !previousWasUnderscore else { return nil }
    return negative ? -value : value
}

/// Python's `str.isspace()`: Unicode whitespace plus the separators U+001C...U+001F (which
/// `str.strip()` removes but `int()` refuses).
func isPythonSpace(_ scalar: Unicode.Scalar) -> Bool {
    scalar.properties.isWhitespace || (0x1C...0x1F).contains(scalar.value)
}

/// `scalars` without the leading and trailing ones `isSpace` accepts: Python's `strip()`.
func stripped(
    _ scalars: Substring.UnicodeScalarView, where isSpace: (Unicode.Scalar) -> Bool
) -> Substring.UnicodeScalarView {
    var scalars = scalars
    while let first = scalars.first, isSpace(first) { scalars.removeFirst() }
    while let last = scalars.last, isSpace(last) { scalars.removeLast() }
    return scalars
}
