/// The estate's own spelling of each value: of the case, punctuation and one-typo variants of a value,
/// the form most used in the estate wins (`Payments`, `payments`, `paymnets` -> `payments`).
/// Learned from native tags; deterministic (ties go to the lexicographically smaller form).
public struct ValueVocabulary: Codable, Sendable, Hashable {
    /// Canonical key -> (folded value -> the value to use).
    public var forms: [String: [String: String]]

    public init(forms: [String: [String: String]] = [:]) { self.forms = forms }

    /// A variant this much rarer than a form one typo away is taken for a typo of it.
    static let typoRatio = 5
    static let typoMinimumCount = 5
    static let typoMinimumLength = 4

    /// Learns from canonical-key -> value maps whose values already went through the synonym tables.
    /// Only `keys` are learned (free-form keys such as `Name` would make the vocabulary as large as the estate).
    public static func learn(from tagMaps: some Sequence<[String: String]>, keys: Set<String>) -> ValueVocabulary {
        // key -> folded -> (form -> count)
        var counts: [String: [String: [String: Int]]] = [:]
        for tags in tagMaps {
            for (key, value) in tags where keys.contains(key) {
                counts[key, default: [:]][Fold.fold(value), default: [:]][value, default: 0] += 1
            }
        }
        var forms: [String: [String: String]] = [:]
        for (key, byFold) in counts {
            // The most used form of each folded value.
            var best: [String: (form: String, count: Int)] = [:]
            for (folded, variants) in byFold where !folded.isEmpty {
                let total = variants.values.reduce(0, +)
                let form = variants.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }!.key
                best[folded] = (form, total)
            }
            // Fold rare one-typo variants into a much more common neighbour.
            let ordered = best.sorted { a, b in a.value.count != b.value.count ? a.value.count > b.value.count : a.key < b.key }
            var table: [String: String] = [:]
            for (i, entry) in ordered.enumerated() {
                var target = entry.value.form
                if entry.key.count >= typoMinimumLength {
                    for dominant in ordered[..<i] {
                        guard dominant.value.count >= typoMinimumCount,
                              dominant.value.count >= typoRatio * entry.value.count else { break }
                        if EditDistance.withinOne(entry.key, dominant.key) {
                            target = table[dominant.key] ?? dominant.value.form
                            break
                        }
                    }
                }
                table[entry.key] = target
            }
            forms[key] = table
        }
        return ValueVocabulary(forms: forms)
    }

    /// The estate's form of `value` for `key`, or `value` itself when the estate never showed it.
    public func form(of value: String, key: String) -> String {
        forms[key]?[Fold.fold(value)] ?? value
    }
}

enum EditDistance {
    /// True when `a` and `b` differ by at most one insertion, deletion, substitution or adjacent swap.
    static func withinOne(_ a: String, _ b: String) -> Bool {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        if abs(x.count - y.count) > 1 { return false }
        var i = 0
        while i < x.count, i < y.count, x[i] == y[i] { i += 1 }
        if i == x.count && i == y.count { return true }
        if x.count == y.count {
            // substitution
            if x[(i + 1)...] == y[(i + 1)...] { return true }
            // transposition
            if i + 1 < x.count, x[i] == y[i + 1], x[i + 1] == y[i], x[(i + 2)...] == y[(i + 2)...] { return true }
            return false
        }
        if x.count > y.count { return x[(i + 1)...] == y[i...] }
        return x[i...] == y[(i + 1)...]
    }
}
