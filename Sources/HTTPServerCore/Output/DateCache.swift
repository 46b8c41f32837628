import Glibc

/// The `Date` header line (`Date: Tue, 25 Nov 2026 03:45:41 GMT\r\n`), formatted at most once per
/// second. One per loop; loop thread only.
struct DateCache {
    /// The header line, CRLF included. Always 37 bytes.
    private(set) var line: [UInt8] = Array(repeating: 0, count: 37)
    private var second: time_t = -1

    init() { refresh() }

    /// Re-formats the line when the wall-clock second changed.
    mutating func refresh() {
        let now = time(nil)
        guard now != second else { return }
        second = now
        var seconds = now
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let days: [StaticString] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months: [StaticString] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        var text = OutputBuffer(capacity: 40)
        text.append("Date: ")
        text.append(days[Int(parts.tm_wday)])
        text.append(", ")
        appendTwoDigits(Int(parts.tm_mday), to: &text)
        text.append(" ")
        text.append(months[Int(parts.tm_mon)])
        text.append(" ")
        text.appendDecimal(Int(parts.tm_year) + 1900)
        text.append(" ")
        appendTwoDigits(Int(parts.tm_hour), to: &text)
        text.append(":")
        appendTwoDigits(Int(parts.tm_min), to: &text)
        text.append(":")
        appendTwoDigits(Int(parts.tm_sec), to: &text)
        text.append(" GMT\r\n")
        line = Array(text.bytes(0..<text.count))
    }

    private func appendTwoDigits(_ value: Int, to text: inout OutputBuffer) {
        text.append(UInt8(ascii: "0") + UInt8(value / 10))
        text.append(UInt8(ascii: "0") + UInt8(value % 10))
    }
}
