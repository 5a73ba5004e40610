/// Go/Kubernetes duration strings ("24h", "1h30m", "90s", "250ms", "1.5h"), as metav1.Duration and
/// every Kubernetes flag use them.
public enum GoDuration {
    /// Parses into seconds. A bare "0" is allowed, as in Go.
    public static func parse(_ input: String) throws(KubeCoreError) -> Double {
        var s = Substring(input.trimmingCharacters())
        guard !s.isEmpty else { throw KubeCoreError.invalidDuration(input: input) }
        var sign = 1.0
        if s.first == "-" || s.first == "+" {
            if s.first == "-" { sign = -1 }
            s = s.dropFirst()
        }
        if s == "0" { return 0 }
        var total = 0.0
        var sawComponent = false
        while !s.isEmpty {
            let number = s.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { throw KubeCoreError.invalidDuration(input: input) }
            s = s.dropFirst(number.count)
            let unit = s.prefix { !$0.isNumber && $0 != "." }
            s = s.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "ns": scale = 1e-9
            case "us", "µs", "μs": scale = 1e-6
            case "ms": scale = 1e-3
            case "s": scale = 1
            case "m": scale = 60
            case "h": scale = 3600
            default: throw KubeCoreError.invalidDuration(input: input)
            }
            total += value * scale
            sawComponent = true
        }
        guard sawComponent else { throw KubeCoreError.invalidDuration(input: input) }
        return sign * total
    }

    public static func parseDuration(_ input: String) throws(KubeCoreError) -> Duration {
        let seconds = try parse(input)
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }

    /// Formats whole seconds the way Go prints them: 86400 -> "24h0m0s", 90 -> "1m30s".
    public static func format(seconds: Int) -> String {
        if seconds == 0 { return "0s" }
        let sign = seconds < 0 ? "-" : ""
        let v = abs(seconds)
        let h = v / 3600, m = v % 3600 / 60, sec = v % 60
        if h > 0 { return "\(sign)\(h)h\(m)m\(sec)s" }
        if m > 0 { return "\(sign)\(m)m\(sec)s" }
        return "\(sign)\(sec)s"
    }
}

extension String {
    fileprivate func trimmingCharacters() -> String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s = s.dropFirst() }
        while s.last?.isWhitespace == true { s = s.dropLast() }
        return String(s)
    }
}
