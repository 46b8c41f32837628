/// The release, in one place: what `--version` prints, the default `Server` header and
/// `SERVER_SOFTWARE` (`swift-wsgi/<version>`), the Python package's version (its build reads this
/// file), and the versions the README and the DocC articles quote (a test compares them).
public enum ServerVersion {
    public static let current = "0.3.0"
}
