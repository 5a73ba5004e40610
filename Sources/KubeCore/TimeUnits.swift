import Foundation

// The time conversions every layer needs, kept in one place (docs/ARCHITECTURE.md, "Rules for contributors").

extension Duration {
    /// The duration in fractional seconds, for `Date` arithmetic and gauges.
    public var inSeconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}

extension Date {
    /// This instant truncated to the whole second: Kubernetes timestamps (RFC 3339 without a fraction)
    /// keep no more, so a time compared with one read back from the API must be truncated too.
    public var truncatedToWholeSecond: Date {
        Date(timeIntervalSince1970: timeIntervalSince1970.rounded(.down))
    }
}
