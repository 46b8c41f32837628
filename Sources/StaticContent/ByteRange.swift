/// One `Range: bytes=...` of a GET (RFC 9110 §14.2): `first-last`, `first-` or `-suffix`. Several
/// ranges, other units and syntax errors are ignored (the whole file is sent, as the RFC allows).
enum ByteRange: Equatable {
    case whole
    case part(Range<Int>)
    /// The range starts past the end: 416.
    case unsatisfiable

    static func parse(_ header: String, size: Int) -> ByteRange {
        guard header.hasPrefix("bytes="), !header.contains(",") else { return .whole }
        let spec = header.dropFirst(6).filter { $0 != " " }
        guard let dash = spec.firstIndex(of: "-") else { return .whole }
        let first = spec[..<dash]
        let last = spec[spec.index(after: dash)...]
        guard first.allSatisfy(\.isASCII), last.allSatisfy(\.isASCII) else { return .whole }
        if first.isEmpty {
            guard let suffix = Int(last) else { return .whole }
            guard suffix > 0 else { return .unsatisfiable }
            return size == 0 ? .unsatisfiable : .part(max(0, size - suffix)..<size)
        }
        guard let start = Int(first), start >= 0 else { return .whole }
        guard start < size else { return .unsatisfiable }
        if last.isEmpty { return .part(start..<size) }
        guard let end = Int(last), end >= start else { return .whole }
        return .part(start..<min(end + 1, size))
    }
}
