/// What an access log line says, written as gunicorn's `--access-logformat` writes it (Python
/// `%`-formatting over named atoms), or `json` for one JSON object per line.
///
/// Atoms (gunicorn's meanings): `h` remote address, `l` `-`, `u` the user of Basic authentication
/// (or `-`), `t` date
/// `[06/Dec/2026:17:20:00 +0000]`, `r` request line, `m` method, `U` path, `q` query, `H` protocol,
/// `s` status, `B` body bytes, `b` body bytes or `-`, `f` Referer, `a` User-Agent, `T` seconds,
/// `M` milliseconds, `D` microseconds, `L` seconds with microseconds, `p` `<pid>`,
/// `{name}i` a request header, `{name}o` a response header. Unknown atoms (gunicorn's `{var}e`
/// among them) print `-`.
public struct AccessLogFormat: Sendable, Equatable, CustomStringConvertible {
    /// gunicorn's default.
    public static let gunicornDefault = AccessLogFormat(#"%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s""#)
    /// One JSON object per line: time, remote_addr, method, target, protocol, status, bytes,
    /// duration_us, referer, user_agent.
    public static let json = AccessLogFormat("json")

    enum Atom: Equatable {
        case remoteAddress, dash, time, requestLine, method, path, query, httpVersion, status
        case bytes, bytesOrDash, seconds, milliseconds, microseconds, decimalSeconds, pid
        /// Index into ``requestHeaders`` / ``responseHeaders``.
        case requestHeader(Int), responseHeader(Int)
        /// The user name of `Authorization: Basic` (the request header at this index), or `-`.
        case user(Int)
    }

    /// A piece of the line: text of the format (a range of ``literals``) or an atom. Trivial
    /// values, so that formatting a line counts no references.
    enum Segment: Equatable {
        case literal(Range<Int>)
        case atom(Atom)
    }

    let segments: [Segment]
    /// Whether a line says how long the request took (then each request is timed).
    let needsDuration: Bool
    /// The format's own text, which ``Segment/literal(_:)`` ranges point into.
    let literals: [UInt8]
    let isJSON: Bool
    /// Lower-case names of the request headers a line needs (captured when the request arrives).
    let requestHeaders: [[UInt8]]
    /// Lower-case names of the response headers a line needs.
    let responseHeaders: [[UInt8]]
    public let description: String

    /// Parses `text` (`json` for the JSON lines).
    public init(_ text: String) {
        description = text
        var requestHeaders: [[UInt8]] = []
        var responseHeaders: [[UInt8]] = []
        func index(of name: Substring, in names: inout [[UInt8]]) -> Int {
            let lower = Array(name.lowercased().utf8)
            if let found = names.firstIndex(of: lower) { return found }
            names.append(lower)
            return names.count - 1
        }
        guard text != "json" else {
            isJSON = true
            needsDuration = true
            segments = []
            literals = []
            self.requestHeaders = ["referer", "user-agent"].map { Array($0.utf8) }
            self.responseHeaders = []
            return
        }
        isJSON = false
        var segments: [Segment] = []
        var literals: [UInt8] = []
        var literal: [UInt8] = []
        func endLiteral() {
            guard !literal.isEmpty else { return }
            segments.append(.literal(literals.count..<literals.count + literal.count))
            literals += literal
            literal = []
        }
        var rest = Substring(text)
        while let percent = rest.firstIndex(of: "%") {
            literal += Array(rest[..<percent].utf8)
            let after = rest[rest.index(after: percent)...]
            if after.hasPrefix("%") {
                literal.append(UInt8(ascii: "%"))
                rest = after.dropFirst()
                continue
            }
            guard after.hasPrefix("("), let close = after.firstIndex(of: ")") else {
                literal.append(UInt8(ascii: "%"))
                rest = after
                continue
            }
            let name = after[after.index(after: after.startIndex)..<close]
            // Python's flags, width and precision, then the conversion letter (`s`, `d`, ...).
            rest = after[after.index(after: close)...].drop { "-+#0123456789.".contains($0) }
            if let first = rest.first, first.isLetter { rest = rest.dropFirst() }
            endLiteral()
            let atom: Atom?
            switch name {
            case "h": atom = .remoteAddress
            case "l": atom = .dash
            case "u": atom = .user(index(of: "authorization", in: &requestHeaders))
            case "t": atom = .time
            case "r": atom = .requestLine
            case "m": atom = .method
            case "U": atom = .path
            case "q": atom = .query
            case "H": atom = .httpVersion
            case "s": atom = .status
            case "B": atom = .bytes
            case "b": atom = .bytesOrDash
            case "f": atom = .requestHeader(index(of: "referer", in: &requestHeaders))
            case "a": atom = .requestHeader(index(of: "user-agent", in: &requestHeaders))
            case "T": atom = .seconds
            case "M": atom = .milliseconds
            case "D": atom = .microseconds
            case "L": atom = .decimalSeconds
            case "p": atom = .pid
            default:
                if name.hasPrefix("{"), name.count > 3, let end = name.lastIndex(of: "}") {
                    let header = name[name.index(after: name.startIndex)..<end]
                    switch name[name.index(after: end)...] {
                    case "i": atom = .requestHeader(index(of: header, in: &requestHeaders))
                    case "o": atom = .responseHeader(index(of: header, in: &responseHeaders))
                    default: atom = nil
                    }
                } else {
                    atom = nil
                }
            }
            segments.append(atom.map(Segment.atom) ?? .atom(.dash))
        }
        literal += Array(rest.utf8)
        endLiteral()
        self.segments = segments
        self.literals = literals
        needsDuration = segments.contains { [.atom(.seconds), .atom(.milliseconds), .atom(.microseconds), .atom(.decimalSeconds)].contains($0) }
        self.requestHeaders = requestHeaders
        self.responseHeaders = responseHeaders
    }

    public static func == (a: AccessLogFormat, b: AccessLogFormat) -> Bool { a.description == b.description }
}
