import HTTPServerCore
import Testing
import WSGIGateway

/// Proxy trust: who is allowed to speak for the client, and what their headers make of it.
@Suite struct ForwardedHeadersTests {
    @Test(arguments: [
        ("127.0.0.1,::1", "127.0.0.1", true), ("127.0.0.1,::1", "::1", true), ("127.0.0.1,::1", "::ffff:127.0.0.1", true),
        ("127.0.0.1,::1", "127.0.0.2", false), ("127.0.0.1,::1", "192.0.2.1", false),
        ("10.0.0.0/8", "10.200.3.4", true), ("10.0.0.0/8", "11.0.0.1", false),
        ("192.0.2.128/25", "192.0.2.200", true), ("192.0.2.128/25", "192.0.2.100", false),
        ("fd00::/8", "fd12::1", true), ("fd00::/8", "fe80::1", false),
        ("*", "198.51.100.9", true), ("", "127.0.0.1", false), (" 192.0.2.1 , 192.0.2.2", "192.0.2.2", true),
        ("0.0.0.0/0", "203.0.113.5", true), ("0.0.0.0/0", "2001:db8::1", false),
    ])
    func allowList(list: String, peer: String, trusted: Bool) throws {
        #expect(try ForwardedAllowList(list).trusts(peer) == trusted)
    }

    @Test(arguments: ["localhost", "10.0.0.0/33", "::1/129", "1.2.3.4/x", "1.2.3", "10.0.0.0/8/8"])
    func badEntriesAreRefusedByName(entry: String) {
        #expect(throws: ForwardedAllowList.InvalidEntry.self) { try ForwardedAllowList("127.0.0.1,\(entry)") }
        #expect((try? ForwardedAllowList(entry)) == nil)
    }

    @Test func theClientIsTheFirstUntrustedAddressFromTheRight() throws {
        let proxies = try ForwardedAllowList("127.0.0.1, 10.0.0.0/8")
        func client(_ header: String) -> String? {
            ForwardedHeaders(forwardedFor: header, forwardedProto: nil, trusting: proxies).client
        }
        #expect(client("203.0.113.7") == "203.0.113.7")
        // A client cannot move itself by writing addresses to the left of its own.
        #expect(client("1.1.1.1, 203.0.113.7, 10.1.2.3") == "203.0.113.7")
        #expect(client("10.0.0.1, 10.0.0.2") == "10.0.0.1")
        #expect(client("2001:db8::5") == "2001:db8::5")
        #expect(client("203.0.113.7:4711") == "203.0.113.7")
        #expect(client("[2001:db8::5]:4711") == "2001:db8::5")
        // Not an address: the socket's peer stays.
        #expect(client("unknown") == nil)
        #expect(client("evil\r\nX: y") == nil)
        #expect(client("") == nil)
    }

    @Test func schemesFromXForwardedProto() {
        func scheme(_ header: String) -> String? {
            ForwardedHeaders(forwardedFor: nil, forwardedProto: header, trusting: .loopback).scheme
        }
        #expect(scheme("https") == "https")
        #expect(scheme("HTTPS") == "https")
        #expect(scheme("http") == "http")
        #expect(scheme("https, http") == "http")
        #expect(scheme("ftp") == nil)
        #expect(scheme("javascript") == nil)
    }

    @Test func rfc7239Forwarded() throws {
        let proxies = try ForwardedAllowList("127.0.0.1")
        var headers = ForwardedHeaders(forwarded: "for=192.0.2.60;proto=https;by=203.0.113.43", trusting: proxies)
        #expect(headers == ForwardedHeaders(client: "192.0.2.60", scheme: "https"))
        headers = ForwardedHeaders(forwarded: #"for="[2001:db8:cafe::17]:4711";proto=http, for=127.0.0.1"#, trusting: proxies)
        #expect(headers == ForwardedHeaders(client: "2001:db8:cafe::17", scheme: "http"))
        headers = ForwardedHeaders(forwarded: "For=198.51.100.17 ; Proto=HTTPS", trusting: proxies)
        #expect(headers == ForwardedHeaders(client: "198.51.100.17", scheme: "https"))
        headers = ForwardedHeaders(forwarded: "for=_hidden;proto=https", trusting: proxies)
        #expect(headers == ForwardedHeaders(client: nil, scheme: "https"))
    }
}
