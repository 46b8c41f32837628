import HTTPServerCore
import WSGI

/// `wsgi.input` is the core's request body itself: it already reads like a file and ends exactly at
/// the body's end, so the gateway adds the interface's name for it instead of wrapping it in an
/// object per request. This module is the one place that puts the core and the interface together.
extension RequestBody: WSGIInput {
    /// Harmless, as PEP 3333 asks: the body stays readable and the connection is untouched.
    public func close() {}
}
