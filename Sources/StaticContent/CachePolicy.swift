import Glibc

/// The `Cache-Control` of static files, by whitenoise's rule: a file whose name carries a content
/// hash (`app.0123456789ab.css`, as Django's `ManifestStaticFilesStorage` names them) never
/// changes under that name, so browsers keep it for a year without asking again; any other file
/// may change, so it is cached for ``maxAge`` seconds only.
public struct CachePolicy: Sendable {
    /// whitenoise's pattern of hashed names (an extended regular expression, matched against the
    /// path below the directory).
    public static let hashedNames = #"^.+\.[0-9a-f]{12}\..+$"#

    /// Seconds other files may be cached; nil sends no `Cache-Control` for them.
    public var maxAge: Int?
    /// Paths matching it are immutable; nil: none is.
    public var immutable: PathPattern?

    /// whitenoise's defaults: hashed names for a year, other files for 60 seconds.
    public init(maxAge: Int? = 60, immutable: PathPattern? = try? PathPattern(CachePolicy.hashedNames)) {
        self.maxAge = maxAge
        self.immutable = immutable
    }

    func cacheControl(forPath path: [UInt8]) -> String? {
        if let immutable, immutable.matches(path) { return "public, max-age=31536000, immutable" }
        return maxAge.map { "public, max-age=\($0)" }
    }
}

/// A POSIX extended regular expression, compiled once.
///
/// `@unchecked Sendable` is sound: the compiled expression is written only by `init` and freed
/// only by `deinit`; `regexec(3)` on a compiled expression is thread-safe (POSIX), so any number
/// of threads may match at once.
public final class PathPattern: @unchecked Sendable {
    public let source: String
    private var compiled = regex_t()

    public init(_ source: String) throws(StaticContentError) {
        self.source = source
        let status = regcomp(&compiled, source, REG_EXTENDED | REG_NOSUB)
        guard status == 0 else {
            var message = [UInt8](repeating: 0, count: 256)
            let length = message.withUnsafeMutableBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { regerror(status, &compiled, $0.baseAddress, $0.count) }
            }
            let reason = String(decoding: message.prefix(max(0, length - 1)), as: UTF8.self)
            throw StaticContentError(description: "'\(source)' is not an extended regular expression: \(reason)")
        }
    }

    deinit { regfree(&compiled) }

    /// Whether `path` (bytes; a NUL ends the match there) matches.
    func matches(_ path: [UInt8]) -> Bool {
        var text = path.map { CChar(bitPattern: $0) }
        text.append(0)
        return regexec(&compiled, text, 0, nil, 0) == 0
    }
}
