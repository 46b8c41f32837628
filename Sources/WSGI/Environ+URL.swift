/// The request's URLs rebuilt from the environ, as Python's `wsgiref.util` does it.
///
/// | `wsgiref.util` | Swift |
/// |---|---|
/// | `request_uri(environ, include_query=True)` | `environ.requestURI(includeQuery: true)` |
/// | `application_uri(environ)` | `environ.applicationURI()` |
/// | `guess_scheme(environ)` | `environ.guessScheme()` |
/// | `shift_path_info(environ)` | `environ.shiftPathInfo()` (see `Environ+ShiftPathInfo.swift`) |
///
/// Results are the same strings CPython returns. Where CPython raises instead (a missing
/// `SERVER_NAME` or `SERVER_PORT`: `KeyError`; a scalar above U+00FF: `UnicodeEncodeError`), these
/// use an empty string and that scalar's UTF-8 bytes: such an environ is invalid anyway.
extension Environ {
    /// `wsgiref.util.guess_scheme`: `"https"` when the CGI variable `HTTPS` is `yes`, `on` or `1`,
    /// else `"http"`. For a server filling `wsgi.url_scheme` behind a CGI-style front end.
    public func guessScheme() -> String {
        switch self["HTTPS"] {
        case "yes", "on", "1": return "https"
        default: return "http"
        }
    }

    /// `wsgiref.util.application_uri`: the application's base URL, without `PATH_INFO` or the query.
    ///
    /// The host is `HTTP_HOST` when set, else `SERVER_NAME` plus `SERVER_PORT` unless it is the
    /// scheme's default; `SCRIPT_NAME` (or `/`) follows, percent-encoded.
    public func applicationURI() -> String {
        var url = urlScheme + "://"
        if let host = self["HTTP_HOST"], !host.isEmpty {
            url += host
        } else {
            url += self["SERVER_NAME", default: ""]
            let port = self["SERVER_PORT", default: ""]
            if port != (urlScheme == "https" ? "443" : "80") {
                url += ":" + port
            }
        }
        let script = self["SCRIPT_NAME", default: ""]
        url += percentEncoded(script.isEmpty ? "/" : script, safe: "/")
        return url
    }

    /// `wsgiref.util.request_uri`: the full URL of the request, with the query string unless
    /// `includeQuery` is false. `PATH_INFO` is percent-encoded keeping `/;=,` as they are.
    public func requestURI(includeQuery: Bool = true) -> String {
        var url = applicationURI()
        let path = percentEncoded(self["PATH_INFO", default: ""], safe: "/;=,")
        // applicationURI() ends with "/" when SCRIPT_NAME is empty: drop the path's first character.
        url += self["SCRIPT_NAME", default: ""].isEmpty ? String(path.dropFirst()) : path
        if includeQuery, let query = self["QUERY_STRING"], !query.isEmpty {
            url += "?" + query
        }
        return url
    }
}

/// CPython's `urllib.parse.quote(text, safe, encoding="latin1")`: every byte of the text's
/// ISO-8859-1 encoding that is neither unreserved (`A-Z a-z 0-9 _ . - ~`) nor in `safe` becomes
/// `%XX` (upper-case hex).
private func percentEncoded(_ text: String, safe: String) -> String {
    let hex = Array("0123456789ABCDEF".utf8)
    var out = [UInt8]()
    out.reserveCapacity(text.utf8.count)
    func append(_ byte: UInt8) {
        if isUnreserved(byte) || safe.utf8.contains(byte) {
            out.append(byte)
        } else {
            out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
        }
    }
    for scalar in text.unicodeScalars {
        if scalar.value <= 0xFF {
            append(UInt8(scalar.value))
        } else {
            String(scalar).utf8.forEach(append)
        }
    }
    return String(decoding: out, as: UTF8.self)
}

private func isUnreserved(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"),
        UInt8(ascii: "~"):
        return true
    default:
        return false
    }
}
