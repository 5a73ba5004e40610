/// Go's `time.ParseDuration` syntax, used by `DiscoveryJob.spec.vanishedTTL` ("24h", "1h30m", "90m", "1.5h").
/// The CRD's pattern admits exactly these strings; this gives their length in seconds.
public enum GoDuration {
    /// Seconds in `text`, or nil when it is not a Go duration (an unsigned sequence of number+unit,
    /// units ns, us, µs, ms, s, m, h).
    public static func seconds(_ text: String) -> Double? {
        var scalars = Substring(text).unicodeScalars[...]
        guard !scalars.isEmpty else { return nil }
        if text == "0" { return 0 }
        var total = 0.0
        while !scalars.isEmpty {
            var number = ""
            while let c = scalars.first, ("0"..."9").contains(c) || c == "." {
                number.unicodeScalars.append(c)
                scalars.removeFirst()
            }
            guard !number.isEmpty, !number.hasPrefix("."), !number.hasSuffix("."), let value = Double(number) else { return nil }
            var unit = ""
            while let c = scalars.first, !("0"..."9").contains(c), c != "." {
                unit.unicodeScalars.append(c)
                scalars.removeFirst()
            }
            guard let scale = unitSeconds[unit] else { return nil }
            total += value * scale
        }
        return total
    }

    static let unitSeconds: [String: Double] = [
        "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600,
    ]
}
