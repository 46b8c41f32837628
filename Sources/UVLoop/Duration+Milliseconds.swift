extension Duration {
    /// Whole milliseconds (negative durations count as 0): the unit of libuv's timers and of
    /// ``Loop/now``.
    public var milliseconds: UInt64 {
        let (seconds, attoseconds) = components
        return UInt64(max(0, seconds)) * 1000 + UInt64(max(0, attoseconds) / 1_000_000_000_000_000)
    }
}
