/// The WSGI environ: the CGI-style dictionary a server builds for each request.
///
/// A value type. The server builds a fresh one per request; an application or middleware may read
/// and change its copy freely (`var environ = environ`) without affecting any other request, which
/// is PEP 3333's "genuine dictionary" rule made structural.
///
/// Reading a CGI variable reads like Python: `environ["PATH_INFO"]` is a `String?`. The `wsgi.*`
/// entries have typed accessors (`environ.input.read()`), and ``subscript(value:)`` reaches any entry
/// whatever its kind. The keys a server sets are listed in the server's documentation.
///
/// A server may back an environ with an ``EnvironSource`` that computes entries when they are read:
/// an application that reads two keys then costs two small computations, not a dictionary of
/// thirty strings. Changes are kept beside the source, so the environ behaves exactly like a
/// dictionary either way.
public struct Environ: Sendable {
    // Inlinable where servers and applications touch it on every request (the initializer a server
    // uses, the string subscript applications read), so that those calls cost no cross-module call.

    /// Entries computed on demand, or nil for an environ built by hand.
    @usableFromInline var source: (any EnvironSource)?
    /// Entries set since (every entry of an environ built by hand).
    @usableFromInline var entries: [String: EnvironValue]
    /// Keys of `source` removed since.
    @usableFromInline var removed: Set<String> = []

    /// An empty environ (servers and tests fill it).
    public init() { entries = [:] }

    /// An environ holding exactly `entries`.
    public init(_ entries: [String: EnvironValue]) { self.entries = entries }

    /// Room for `count` entries without reallocating (servers know roughly how many they set).
    public init(minimumCapacity count: Int) { entries = Dictionary(minimumCapacity: count) }

    /// An environ whose entries are those of `source` until changed.
    @inlinable
    public init(source: any EnvironSource) {
        self.source = source
        entries = [:]
    }

    /// The string value of `key` (every CGI variable is a string); `nil` when absent or not a string.
    /// Assigning `nil` removes the key.
    public subscript(key: String) -> String? {
        @inlinable
        get {
            if !entries.isEmpty, let value = entries[key] { return value.stringValue }
            guard let source, removed.isEmpty || !removed.contains(key) else { return nil }
            return source.string(forKey: key)
        }
        set { self[value: key] = newValue.map(EnvironValue.string) }
    }

    /// The value of `key` whatever its kind; `nil` when absent. Assigning `nil` removes the key.
    public subscript(value key: String) -> EnvironValue? {
        get {
            if !entries.isEmpty, let value = entries[key] { return value }
            guard let source, removed.isEmpty || !removed.contains(key) else { return nil }
            return source.value(forKey: key)
        }
        set {
            if let newValue {
                entries[key] = newValue
                if !removed.isEmpty { removed.remove(key) }
            } else {
                entries.removeValue(forKey: key)
                if let source, source.value(forKey: key) != nil { removed.insert(key) }
            }
        }
    }

    /// The string value of `key`, or `defaultValue` when absent: Python's `environ.get(key, default)`.
    public subscript(key: String, default defaultValue: @autoclosure () -> String) -> String {
        self[key] ?? defaultValue()
    }

    public func contains(_ key: String) -> Bool { self[value: key] != nil }

    @discardableResult
    public mutating func removeValue(forKey key: String) -> EnvironValue? {
        let old = self[value: key]
        self[value: key] = nil
        return old
    }

    /// Every key, in no particular order (as a dictionary's).
    public var keys: [String] {
        guard let source else { return Array(entries.keys) }
        var keys = Set(entries.keys)
        for key in source.keys where removed.isEmpty || !removed.contains(key) { keys.insert(key) }
        return Array(keys)
    }

    public var count: Int { source == nil ? entries.count : keys.count }
    public var isEmpty: Bool { count == 0 }
}

/// Where the entries of an ``Environ`` come from until they are changed: a server implements it to
/// compute entries from the request when they are read.
///
/// Implementations are immutable once handed out (any thread may read them) and must answer
/// consistently: ``keys`` lists exactly the keys for which ``value(forKey:)`` is not nil.
public protocol EnvironSource: AnyObject, Sendable {
    /// The value of `key`, or nil when the source has no such entry.
    func value(forKey key: String) -> EnvironValue?
    /// The value of `key` when it is a string, else nil: what `environ[key]` reads. The default
    /// asks ``value(forKey:)``; a source may answer without building an ``EnvironValue``.
    func string(forKey key: String) -> String?
    /// Every key the source has.
    var keys: [String] { get }
}

extension EnvironSource {
    public func string(forKey key: String) -> String? { value(forKey: key)?.stringValue }
}

extension Environ: Sequence {
    public func makeIterator() -> IndexingIterator<[(key: String, value: EnvironValue)]> {
        keys.compactMap { key in self[value: key].map { (key: key, value: $0) } }.makeIterator()
    }
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
            if case .version(let major, let minor)? = self[value: "wsgi.version"] { return (major, minor) }
            return (1, 0)
        }
        set { self[value: "wsgi.version"] = .version(major: newValue.major, minor: newValue.minor) }
    }

    /// `wsgi.url_scheme`: `"http"` or `"https"`.
    public var urlScheme: String {
        get { self["wsgi.url_scheme"] ?? "http" }
        set { self["wsgi.url_scheme"] = newValue }
    }

    /// `wsgi.input`: the request body. An empty stream when absent (an environ built by hand).
    public var input: any WSGIInput {
        get {
            if case .input(let input)? = self[value: "wsgi.input"] { return input }
            return BytesInput(Bytes())
        }
        set { self[value: "wsgi.input"] = .input(newValue) }
    }

    /// `wsgi.errors`: the error stream. Standard error when absent (an environ built by hand).
    public var errors: any WSGIErrors {
        get {
            if case .errors(let errors)? = self[value: "wsgi.errors"] { return errors }
            return StandardErrorOutput.shared
        }
        set { self[value: "wsgi.errors"] = .errors(newValue) }
    }

    /// `wsgi.multithread`: the application may be called concurrently by another thread.
    public var multithread: Bool {
        get { self[value: "wsgi.multithread"]?.boolValue ?? false }
        set { self[value: "wsgi.multithread"] = .bool(newValue) }
    }

    /// `wsgi.multiprocess`: another process may be running the same application.
    public var multiprocess: Bool {
        get { self[value: "wsgi.multiprocess"]?.boolValue ?? false }
        set { self[value: "wsgi.multiprocess"] = .bool(newValue) }
    }

    /// `wsgi.run_once`: the application is called only once in this process (false for servers).
    public var runOnce: Bool {
        get { self[value: "wsgi.run_once"]?.boolValue ?? false }
        set { self[value: "wsgi.run_once"] = .bool(newValue) }
    }

    /// `wsgi.input_terminated`: `wsgi.input` signals end of body by returning empty bytes, so an
    /// application may read to EOF even without CONTENT_LENGTH (de-chunked bodies).
    public var inputTerminated: Bool {
        get { self[value: "wsgi.input_terminated"]?.boolValue ?? false }
        set { self[value: "wsgi.input_terminated"] = .bool(newValue) }
    }

    /// `wsgi.file_wrapper`, when the server offers one.
    public var fileWrapper: FileWrapperFactory? {
        get {
            if case .fileWrapper(let factory)? = self[value: "wsgi.file_wrapper"] { return factory }
            return nil
        }
        set { self[value: "wsgi.file_wrapper"] = newValue.map(EnvironValue.fileWrapper) }
    }
}
