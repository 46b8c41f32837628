import Glibc

/// The `Date` header line (`Date: Tue, 25 Nov 2026 03:45:41 GMT\r\n`), formatted at most once per
/// second. One per loop; loop thread only. The line lives in memory of its own (noncopyable: one
/// owner frees it), so that copying it into every response head counts no references.
struct DateCache: ~Copyable {
    private static let length = 37
    private let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: DateCache.length, alignment: 1)
    private var second: time_t = -1

    init() { refresh() }

    deinit { storage.deallocate() }

    /// The header line, CRLF included; valid until the next ``refresh()``.
    var line: UnsafeRawBufferPointer { UnsafeRawBufferPointer(storage) }

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
        storage.copyMemory(from: text.bytes(0..<DateCache.length))
    }

    private func appendTwoDigits(_ value: Int, to text: inout OutputBuffer) {
        text.append(UInt8(ascii: "0") + UInt8(value / 10))
        text.append(UInt8(ascii: "0") + UInt8(value % 10))
    }
}
