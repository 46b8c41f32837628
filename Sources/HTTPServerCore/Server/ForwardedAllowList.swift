import Glibc

/// The peers whose forwarding headers (`X-Forwarded-For`, `X-Forwarded-Proto`, `Forwarded`) are
/// believed: gunicorn's `forwarded_allow_ips`. From any other peer those headers change nothing.
///
/// Written as gunicorn writes it: addresses and networks separated by commas
/// (`127.0.0.1,::1`, `10.0.0.0/8, fd00::/8`), or `*` for every peer (only when nothing but the proxy
/// can reach the server). Peers on a unix socket are always trusted: only processes allowed to open
/// the socket file can connect, as gunicorn decides too.
public struct ForwardedAllowList: Sendable, Equatable, CustomStringConvertible {
    /// An address (IPv4 held as IPv4-mapped IPv6, so that `::ffff:127.0.0.1` peers of a dual-stack
    /// listener match `127.0.0.1`) and how many leading bits must match.
    struct Network: Sendable, Equatable {
        let address: IPAddressBytes
        let prefixLength: Int
    }

    private let networks: [Network]
    private let allowsAll: Bool
    public let description: String

    /// gunicorn's default: the loopback addresses.
    public static let loopback = try! ForwardedAllowList("127.0.0.1,::1")
    /// Trusts nobody.
    public static let none = try! ForwardedAllowList("")

    public struct InvalidEntry: Error, CustomStringConvertible {
        public let entry: String
        public var description: String { "'\(entry)' is not an IP address, a network (ADDRESS/BITS) or '*'" }
    }

    /// Parses a comma-separated list; throws ``InvalidEntry`` for an entry that is neither.
    public init(_ text: String) throws {
        var networks: [Network] = []
        var allowsAll = false
        for rawEntry in text.split(separator: ",") {
            let entry = String(rawEntry.trimmingOptionalWhitespace)
            if entry.isEmpty { continue }
            if entry == "*" {
                allowsAll = true
                continue
            }
            let parts = entry.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2, let address = IPAddressBytes(String(parts[0])) else { throw InvalidEntry(entry: entry) }
            let maximum = address.isIPv4 ? 32 : 128
            var bits = maximum
            if parts.count == 2 {
                guard let prefix = Int(parts[1]), (0...maximum).contains(prefix) else { throw InvalidEntry(entry: entry) }
                bits = prefix
            }
            networks.append(Network(address: address, prefixLength: address.isIPv4 ? 96 + bits : bits))
        }
        self.networks = networks
        self.allowsAll = allowsAll
        description = text
    }

    /// Whether forwarding headers from `peer` (an address literal, as the socket reports it) count.
    public func trusts(_ peer: String) -> Bool {
        if allowsAll { return true }
        guard !networks.isEmpty, let address = IPAddressBytes(peer) else { return false }
        return trusts(address)
    }

    /// Whether `address` is in the list.
    public func trusts(_ address: IPAddressBytes) -> Bool {
        allowsAll || networks.contains { address.sharesPrefix(with: $0.address, bits: $0.prefixLength) }
    }
}

/// An IP address as 16 bytes: IPv6, or IPv4 mapped into IPv6 (`::ffff:a.b.c.d`).
public struct IPAddressBytes: Sendable, Equatable {
    private var bytes: (UInt64, UInt64)

    /// Parses an IPv4 or IPv6 literal (no brackets, no port); nil for anything else.
    public init?(_ text: String) {
        var v6 = in6_addr()
        var v4 = in_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: v6) { ($0.loadUnaligned(as: UInt64.self).bigEndian, $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self).bigEndian) }
        } else if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = (0, 0xFFFF_0000_0000 | UInt64(UInt32(bigEndian: v4.s_addr)))
        } else {
            return nil
        }
    }

    /// Whether this is an IPv4 address (mapped).
    public var isIPv4: Bool { bytes.0 == 0 && bytes.1 >> 32 == 0xFFFF }

    func sharesPrefix(with other: IPAddressBytes, bits: Int) -> Bool {
        func masked(_ word: UInt64, _ bits: Int) -> UInt64 {
            bits <= 0 ? 0 : bits >= 64 ? word : word & ~(UInt64.max >> UInt64(bits))
        }
        return masked(bytes.0, bits) == masked(other.bytes.0, bits) && masked(bytes.1, bits - 64) == masked(other.bytes.1, bits - 64)
    }

    public static func == (a: IPAddressBytes, b: IPAddressBytes) -> Bool { a.bytes == b.bytes }
}

extension Substring {
    /// Without the spaces and tabs around it (HTTP's optional whitespace).
    package var trimmingOptionalWhitespace: Substring {
        let isSpace = { (character: Character) in character == " " || character == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return self[endIndex...] }
        return self[first...last]
    }
}
