/// The WSGI environ: the CGI-style dictionary a server builds for each request.
///
/// A value type. The server builds a fresh one per request; an application or middleware may read
/// and change its copy freely (`var environ = environ`) without affecting any other request, which
/// is PEP 3333's "genuine dictionary" rule made structural.
///
/// Reading a CGI variable reads like Python: `environ["PATH_INFO"]` is a `String?`. The `wsgi.*`
/// entries have typed accessors (`environ.input.read()`), and ``subscript(value:)`` reaches any entry
/// whatever its kind. The keys a server sets are listed in the server's documentation.
public struct Environ: Sendable {
    private var entries: [String: EnvironValue]

    /// An empty environ (servers and tests fill it).
    public init() { entries = [:] }

    /// An environ holding exactly `entries`.
    public init(_ entries: [String: EnvironValue]) { self.entries = entries }

    /// Room for `count` entries without reallocating (servers know roughly how many they set).
    public init(minimumCapacity count: Int) { entries = Dictionary(minimumCapacity: count) }

    /// The string value of `key` (every CGI variable is a string); `nil` when absent or not a string.
    /// Assigning `nil` removes the key.
    public subscript(key: String) -> String? {
        get { entries[key]?.stringValue }
        set { entries[key] = newValue.map(EnvironValue.string) }
    }

    /// The value of `key` whatever its kind; `nil` when absent. Assigning `nil` removes the key.
    public subscript(value key: String) -> EnvironValue? {
        get { entries[key] }
        set { entries[key] = newValue }
    }

    /// The string value of `key`, or `defaultValue` when absent: Python's `environ.get(key, default)`.
    public subscript(key: String, default defaultValue: @autoclosure () -> String) -> String {
        entries[key]?.stringValue ?? defaultValue()
    }

    public func contains(_ key: String) -> Bool { entries[key] != nil }

    @discardableResult
    public mutating func removeValue(forKey key: String) -> EnvironValue? { entries.removeValue(forKey: key) }

    public var keys: [String] { Array(entries.keys) }
    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
}

extension Environ: Sequence {
    public func makeIterator() -> Dictionary<String, EnvironValue>.Iterator { entries.makeIterator() }
}

extension Environ: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, EnvironValue)...) {
        entries = Dictionary(elements, uniquingKeysWith: { _, last in last })
    }
}

// MARK: - The typed wsgi.* entries

extension Environ {
    /// `wsgi.version`: `(1, 0)` for PEP 3333.
    public var version: (major: Int, minor: Int) {
        get {
            if case .version(let major, let minor)? = entries["wsgi.version"] { return (major, minor) }
            return (1, 0)
        }
        set { entries["wsgi.version"] = .version(major: newValue.major, minor: newValue.minor) }
    }

    /// `wsgi.url_scheme`: `"http"` or `"https"`.
    public var urlScheme: String {
        get { self["wsgi.url_scheme"] ?? "http" }
        set { self["wsgi.url_scheme"] = newValue }
    }

    /// `wsgi.input`: the request body. An empty stream when absent (an environ built by hand).
    public var input: any WSGIInput {
        get {
            if case .input(let input)? = entries["wsgi.input"] { return input }
            return BytesInput(Bytes())
        }
        set { entries["wsgi.input"] = .input(newValue) }
    }

    /// `wsgi.errors`: the error stream. Standard error when absent (an environ built by hand).
    public var errors: any WSGIErrors {
        get {
            if case .errors(let errors)? = entries["wsgi.errors"] { return errors }
            return StandardErrorOutput.shared
        }
        set { entries["wsgi.errors"] = .errors(newValue) }
    }

    /// `wsgi.multithread`: the application may be called concurrently by another thread.
    public var multithread: Bool {
        get { entries["wsgi.multithread"]?.boolValue ?? false }
        set { entries["wsgi.multithread"] = .bool(newValue) }
    }

    /// `wsgi.multiprocess`: another process may be running the same application.
    public var multiprocess: Bool {
        get { entries["wsgi.multiprocess"]?.boolValue ?? false }
        set { entries["wsgi.multiprocess"] = .bool(newValue) }
    }

    /// `wsgi.run_once`: the application is called only once in this process (false for servers).
    public var runOnce: Bool {
        get { entries["wsgi.run_once"]?.boolValue ?? false }
        set { entries["wsgi.run_once"] = .bool(newValue) }
    }

    /// `wsgi.input_terminated`: `wsgi.input` signals end of body by returning empty bytes, so an
    /// application may read to EOF even without CONTENT_LENGTH (de-chunked bodies).
    public var inputTerminated: Bool {
        get { entries["wsgi.input_terminated"]?.boolValue ?? false }
        set { entries["wsgi.input_terminated"] = .bool(newValue) }
    }

    /// `wsgi.file_wrapper`, when the server offers one.
    public var fileWrapper: FileWrapperFactory? {
        get {
            if case .fileWrapper(let factory)? = entries["wsgi.file_wrapper"] { return factory }
            return nil
        }
        set { entries["wsgi.file_wrapper"] = newValue.map(EnvironValue.fileWrapper) }
    }
}
