/// One value of the environ dictionary.
///
/// PEP 3333 lets environ hold any Python object; Swift needs the kinds spelled out. CGI variables
/// (every key without a dot) are always ``string(_:)``. The `wsgi.*` entries have their own cases so
/// that reading them is typed. ``other(_:)`` leaves room for server and middleware extension keys.
public enum EnvironValue: Sendable {
    /// A native string: every scalar is at most U+00FF (request bytes decoded 1:1 as ISO-8859-1).
    case string(String)
    case bool(Bool)
    case int(Int)
    /// `wsgi.version`, the pair `(1, 0)`.
    case version(major: Int, minor: Int)
    /// `wsgi.input`.
    case input(any WSGIInput)
    /// `wsgi.errors`.
    case errors(any WSGIErrors)
    /// `wsgi.file_wrapper`.
    case fileWrapper(FileWrapperFactory)
    /// Anything else an extension needs to pass along (callables, objects).
    case other(any Sendable)

    /// The string, when this value is one.
    @inlinable
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The boolean, when this value is one.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }
}

extension EnvironValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
}

extension EnvironValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case .string(let value): return value.debugDescription
        case .bool(let value): return value ? "True" : "False"
        case .int(let value): return String(value)
        case .version(let major, let minor): return "(\(major), \(minor))"
        case .input(let input): return "<wsgi.input \(type(of: input))>"
        case .errors(let errors): return "<wsgi.errors \(type(of: errors))>"
        case .fileWrapper: return "<wsgi.file_wrapper>"
        case .other(let value): return "<\(type(of: value))>"
        }
    }
}
