import HTTPServerCore

/// What a trusted proxy says about the client: its address (`REMOTE_ADDR`) and the scheme it was
/// reached by (`wsgi.url_scheme`), from RFC 7239's `Forwarded` when the request has one, else from
/// `X-Forwarded-For` and `X-Forwarded-Proto`.
///
/// Each proxy appends the address it received the request from, so the list reads client first,
/// nearest proxy last. The client is found walking from the right past the addresses that are
/// themselves trusted proxies: the first untrusted one (or the leftmost, when all are trusted).
/// Whatever a client writes to the left of that cannot move it. Anything that is not an address
/// literal (`unknown`, an obfuscated `_node`, garbage) leaves `REMOTE_ADDR` as the socket says.
///
/// The scheme is `http` or `https` (any other value is ignored): `Forwarded`'s `proto` of the element
/// that named the client, else the last `X-Forwarded-Proto` value (the nearest proxy's).
public struct ForwardedHeaders: Equatable, Sendable {
    /// The client's address (no port, no brackets), when the headers name one.
    public var client: String?
    /// `http` or `https`, when the headers say.
    public var scheme: String?

    public init(client: String? = nil, scheme: String? = nil) {
        self.client = client
        self.scheme = scheme
    }

    /// From the values of a request's `Forwarded` field (repeated fields joined with `,`).
    public init(forwarded value: String, trusting allowList: ForwardedAllowList) {
        let elements = value.split(separator: ",").map { element in
            var node: String?
            var proto: String?
            for pair in element.split(separator: ";") {
                guard let equals = pair.firstIndex(of: "=") else { continue }
                let name = pair[..<equals].trimmingOptionalWhitespace.lowercased()
                let value = Self.unquoted(pair[pair.index(after: equals)...].trimmingOptionalWhitespace)
                if name == "for" { node = value } else if name == "proto" { proto = value }
            }
            return (node: node ?? "", proto: proto)
        }
        guard let chosen = Self.client(among: elements.map(\.node), trusting: allowList) else { return }
        client = Self.address(ofNode: elements[chosen].node)
        scheme = elements[chosen].proto.flatMap(Self.scheme)
    }

    /// From the values of `X-Forwarded-For` and `X-Forwarded-Proto` (either may be absent).
    public init(forwardedFor: String?, forwardedProto: String?, trusting allowList: ForwardedAllowList) {
        if let forwardedFor {
            let nodes = forwardedFor.split(separator: ",").map { String($0.trimmingOptionalWhitespace) }
            if let chosen = Self.client(among: nodes, trusting: allowList) { client = Self.address(ofNode: nodes[chosen]) }
        }
        if let last = forwardedProto?.split(separator: ",").last { scheme = Self.scheme(String(last.trimmingOptionalWhitespace)) }
    }

    /// The index of the client in `nodes` (client first, nearest proxy last).
    private static func client(among nodes: [String], trusting allowList: ForwardedAllowList) -> Int? {
        guard !nodes.isEmpty else { return nil }
        for index in nodes.indices.reversed() {
            guard let address = address(ofNode: nodes[index]).flatMap(IPAddressBytes.init), allowList.trusts(address) else { return index }
        }
        return nodes.startIndex
    }

    /// The address literal of a node (`192.0.2.1`, `192.0.2.1:80`, `[2001:db8::1]:4711`, `2001:db8::1`),
    /// nil when it is not one.
    static func address(ofNode node: String) -> String? {
        var text = Substring(node)
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            text = text[text.index(after: text.startIndex)..<close]
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            text = text[..<colon]
        }
        let address = String(text)
        return IPAddressBytes(address) == nil ? nil : address
    }

    private static func unquoted(_ text: Substring) -> String {
        guard text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") else { return String(text) }
        return String(text.dropFirst().dropLast())
    }

    private static func scheme(_ value: String) -> String? {
        switch value.lowercased() {
        case "https": return "https"
        case "http": return "http"
        default: return nil
        }
    }
}
