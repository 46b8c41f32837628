/// Precompressed siblings of a file (`FILE.br`, `FILE.gz`, as `whitenoise`'s compressor and most
/// front-end builds write them), chosen by the request's `Accept-Encoding`.
enum Precompressed {
    /// A sibling: its content coding, path and facts.
    typealias Sibling = (coding: String, path: String, facts: RegularFile)

    /// The codings, in the order they are preferred, with their file suffixes.
    private static let codings = [("br", ".br"), ("gzip", ".gz")]

    /// The regular files beside `path` that hold it compressed, inside `root` (a link that leads
    /// out is ignored).
    static func siblings(of path: String, inside root: String) -> [Sibling] {
        codings.compactMap { coding, suffix in
            guard let real = StaticDirectory.realPath(path + suffix, inside: root), let facts = RegularFile(path: real) else { return nil }
            return (coding, real, facts)
        }
    }

    /// The first sibling whose coding `acceptEncoding` accepts, else the file itself (coding nil).
    static func choose(identity: (path: String, facts: RegularFile), siblings: [Sibling], accepting acceptEncoding: String?) -> (file: (path: String, facts: RegularFile), coding: String?) {
        guard let acceptEncoding, !siblings.isEmpty else { return (identity, nil) }
        let accepted = AcceptEncoding(acceptEncoding)
        for sibling in siblings where accepted.accepts(sibling.coding) {
            return ((sibling.path, sibling.facts), sibling.coding)
        }
        return (identity, nil)
    }
}

/// An `Accept-Encoding` field (RFC 9110 §12.5.3): codings with optional weights; `q=0` refuses.
struct AcceptEncoding {
    private var weights: [String: Double] = [:]

    init(_ field: String) {
        for entry in field.split(separator: ",") {
            let parts = entry.split(separator: ";").map { $0.trimmingWhitespace().lowercased() }
            guard let name = parts.first, !name.isEmpty else { continue }
            var weight = 1.0
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") {
                weight = Double(parameter.dropFirst(2)) ?? 0
            }
            weights[name == "x-gzip" ? "gzip" : name] = weight
        }
    }

    /// Whether `coding` is acceptable: named with a weight above 0, or covered by `*`.
    func accepts(_ coding: String) -> Bool {
        (weights[coding] ?? weights["*"] ?? 0) > 0
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        let isSpace = { (character: Character) in character == " " || character == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return self[first...last]
    }
}
