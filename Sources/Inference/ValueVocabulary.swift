/// The estate's own spelling of each value: of the case, punctuation and one-typo variants of a value,
/// the form most used in the estate wins (`Payments`, `payments`, `paymnets` -> `payments`).
/// Spellings of one identifier (`CC-1042`, `cc1042`, `1042`) and suffixed names (`payments-team`) fold
/// into the same form. Learned from native tags; deterministic (ties go to the lexicographically smaller form).
public struct ValueVocabulary: Codable, Sendable, Hashable {
    /// Canonical key -> (folded value -> the value to use).
    public var forms: [String: [String: String]]
    /// Canonical key -> how the estate writes its identifiers (`CC-` before the digits), when it writes
    /// them one way: an identifier never seen is written like the others.
    public var identifierPrefixes: [String: String]
    /// Folded native key -> canonical key, for misspelt keys the estate makes unambiguous (`Enviroment`).
    public var keyTypos: [String: String]
    /// Canonical key -> folded former value -> the value it became (`FormerValues`); `forms` already folds it.
    public var formers: [String: [String: FormerValue]]

    public init(forms: [String: [String: String]] = [:], identifierPrefixes: [String: String] = [:], keyTypos: [String: String] = [:],
                formers: [String: [String: FormerValue]] = [:]) {
        self.forms = forms
        self.identifierPrefixes = identifierPrefixes
        self.keyTypos = keyTypos
        self.formers = formers
    }

    enum CodingKeys: String, CodingKey { case forms, identifierPrefixes, keyTypos, formers }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        forms = try c.decode([String: [String: String]].self, forKey: .forms)
        identifierPrefixes = try c.decodeIfPresent([String: String].self, forKey: .identifierPrefixes) ?? [:]
        keyTypos = try c.decodeIfPresent([String: String].self, forKey: .keyTypos) ?? [:]
        formers = try c.decodeIfPresent([String: [String: FormerValue]].self, forKey: .formers) ?? [:]
    }

    /// Folds every spelling of each former value into the value it became.
    mutating func fold(formers learned: [String: [String: FormerValue]]) {
        formers = learned
        for (key, byFolded) in learned {
            guard var table = forms[key] else { continue }
            for (folded, form) in table {
                if let f = byFolded[Fold.fold(form)] { table[folded] = f.current }
            }
            forms[key] = table
        }
    }

    /// A variant this much rarer than a form one typo away is taken for a typo of it (or for a suffixed
    /// spelling of it). Real values that are close (`payout`, `payouts`) are rarely this lopsided.
    static let typoRatio = 10
    /// A suffixed spelling this much rarer than its base is taken for the base. A spelling seen fewer than
    /// `typoMinimumCount` times needs only to be rarer than its base: an application tagged twice as `payouts` and
    /// once as `payouts-app` is one application (on tuning seeds 8830-8845 this filled 0.25 points more of the
    /// missing values, application's applied precision unchanged or better).
    static let suffixRatio = 5
    static let typoMinimumCount = 5
    static let typoMinimumLength = 4
    /// Words teams append to a name without changing what it names (`payments-team`, `ledger-svc`).
    static let neutralSuffixes = ["team", "squad", "svc", "service", "app"]

    /// Learns from canonical-key -> value maps whose values already went through the synonym tables.
    /// Only `keys` are learned (free-form keys such as `Name` would make the vocabulary as large as the estate).
    public static func learn(from tagMaps: some Sequence<[String: String]>, keys: Set<String>) -> ValueVocabulary {
        var tagCounts: [KeyValue: Int] = [:]
        for tags in tagMaps {
            for (key, value) in tags { tagCounts[KeyValue(key: key, value: value), default: 0] += 1 }
        }
        return learn(counts: tagCounts, keys: keys)
    }

    /// A (canonical key, value) pair, counted as is: each distinct one is folded once.
    struct KeyValue: Hashable {
        var key: String
        var value: String
    }

    /// `learn(from:keys:)` from how often each (key, value) pair was seen.
    static func learn(counts tagCounts: [KeyValue: Int], keys: Set<String>) -> ValueVocabulary {
        // key -> folded -> (form -> count)
        var counts: [String: [String: [String: Int]]] = [:]
        for (tag, n) in tagCounts where keys.contains(tag.key) {
            counts[tag.key, default: [:]][Fold.fold(tag.value), default: [:]][tag.value, default: 0] += n
        }
        var forms: [String: [String: String]] = [:]
        var prefixes: [String: String] = [:]
        for (key, byFold) in counts {
            var table: [String: String] = [:]
            // Identifiers first: spellings of one number are one value; they are never typo-folded (two
            // numbers one digit apart are two cost centres).
            let identifiers = IdentifierForms(byFold)
            for (folded, form) in identifiers.table { table[folded] = form }
            if let p = identifiers.prefix { prefixes[key] = p }

            // The most used form of each other folded value.
            var best: [String: (form: String, count: Int)] = [:]
            for (folded, variants) in byFold where !folded.isEmpty && table[folded] == nil {
                let total = variants.values.reduce(0, +)
                let form = variants.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }!.key
                best[folded] = (form, total)
            }
            // Fold rare suffixed and one-typo variants into a much more common value, when exactly one fits.
            let ordered = best.sorted { a, b in a.value.count != b.value.count ? a.value.count > b.value.count : a.key < b.key }
            for (i, entry) in ordered.enumerated() {
                table[entry.key] = fold(entry, into: ordered[..<i], best: best, table: table) ?? entry.value.form
            }
            forms[key] = table
        }
        return ValueVocabulary(forms: forms, identifierPrefixes: prefixes)
    }

    /// The form a rare value folds into: its base without a neutral suffix, or the one much more common
    /// value a typo away; nil when none, or when two real values would fit.
    private static func fold(
        _ entry: (key: String, value: (form: String, count: Int)), into dominants: ArraySlice<(key: String, value: (form: String, count: Int))>,
        best: [String: (form: String, count: Int)], table: [String: String]
    ) -> String? {
        func dominates(_ count: Int) -> Bool { count >= typoMinimumCount && count >= typoRatio * entry.value.count }
        for suffix in neutralSuffixes where entry.key.count > suffix.count + 2 && entry.key.hasSuffix(suffix) {
            let base = String(entry.key.dropLast(suffix.count))
            if let b = best[base],
               (b.count >= typoMinimumCount && b.count >= suffixRatio * entry.value.count)
                || (entry.value.count < typoMinimumCount && b.count > entry.value.count) {
                return table[base] ?? b.form
            }
        }
        guard entry.key.count >= typoMinimumLength, Identifier(folded: entry.key) == nil else { return nil }
        var target: String?
        for dominant in dominants {
            guard dominates(dominant.value.count) else { break }
            guard EditDistance.withinOne(entry.key, dominant.key) else { continue }
            let t = table[dominant.key] ?? dominant.value.form
            if let target, target != t { return nil }  // two real values are this close: not a typo we can place
            target = t
        }
        return target
    }

    /// The estate's form of `value` for `key`, or `value` itself when the estate never showed it.
    public func form(of value: String, key: String) -> String {
        let folded = Fold.fold(value)
        if let known = forms[key]?[folded] { return known }
        if let prefix = identifierPrefixes[key], let id = Identifier(folded: folded),
           id.prefix.isEmpty || id.prefix == Fold.fold(prefix) {
            return prefix + id.digits
        }
        return value
    }

    /// Learns which unknown native keys are misspellings of a known one: within one edit of exactly one
    /// canonical key's synonyms, and much rarer in the estate than that synonym.
    static func keyTypos(keyCounts: [String: Int], tables: NormalisationTables) -> [String: String] {
        var out: [String: String] = [:]
        let known = keyCounts.filter { tables.keySynonyms[$0.key] != nil }
        for (folded, count) in keyCounts where tables.keySynonyms[folded] == nil && folded.count >= typoMinimumLength {
            var target: String?
            var ambiguous = false
            for (synonym, canonical) in tables.keySynonyms where synonym.count >= typoMinimumLength {
                guard EditDistance.withinOne(folded, synonym) else { continue }
                let used = known[synonym] ?? 0
                guard used >= typoMinimumCount, used >= typoRatio * count else { continue }
                if let target, target != canonical { ambiguous = true }
                target = canonical
            }
            if let target, !ambiguous { out[folded] = target }
        }
        return out
    }

    /// How `native` became `form` of `key`, for a reason; nil when only case or punctuation changed.
    func folding(of native: String, into form: String, key: String) -> String? {
        if let f = formers[key]?[Fold.fold(native)] { return f.reason(former: native) }
        return Self.folding(of: native, into: form)
    }

    /// How `native` became `form`, for a reason; nil when only case or punctuation changed.
    static func folding(of native: String, into form: String) -> String? {
        let a = Fold.fold(native), b = Fold.fold(form)
        if a == b { return nil }
        if let x = Identifier(folded: a), let y = Identifier(folded: b), x.digits == y.digits {
            return "\(native) written as \(form), the estate's usual form"
        }
        if neutralSuffixes.contains(where: { a == b + $0 }) { return "\(native) written as \(form), the estate's usual name" }
        return "\(native) taken for a misspelling of \(form), the estate's usual value"
    }
}

/// A value that is an identifier: a short letter prefix (maybe none) and at least three digits, once folded
/// (`CC-1042` -> `cc`, `1042`; `PRJ_0042` -> `prj`, `0042`).
struct Identifier: Hashable {
    var prefix: String
    var digits: String

    init?(folded: String) {
        let u = Array(folded.utf8)
        var i = 0
        while i < u.count, u[i] >= 97, u[i] <= 122 { i += 1 }
        guard i <= 4, u.count - i >= 3, u[i...].allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        prefix = String(decoding: u[..<i], as: UTF8.self)
        digits = String(decoding: u[i...], as: UTF8.self)
    }
}

/// The spellings of a key's identifiers grouped by their digits: `CC-1042`, `cc1042` and `1042` are one value
/// when the key writes its identifiers with one prefix. With two prefixes for the same digits (`CC-1042`,
/// `PRJ-1042`) nothing is grouped: the bare `1042` could be either.
struct IdentifierForms {
    /// Folded spelling -> the group's most used form.
    var table: [String: String] = [:]
    /// The prefix, as written, of the key's most used identifier form, when the key uses one prefix.
    var prefix: String?

    init(_ byFold: [String: [String: Int]]) {
        var groups: [String: [(folded: String, id: Identifier)]] = [:]
        var prefixUses: [String: Int] = [:]
        var identifierUses = 0, allUses = 0
        for (folded, variants) in byFold {
            let uses = variants.values.reduce(0, +)
            allUses += uses
            guard let id = Identifier(folded: folded) else { continue }
            identifierUses += uses
            groups[id.digits, default: []].append((folded, id))
            if !id.prefix.isEmpty { prefixUses[id.prefix, default: 0] += uses }
        }
        // Only a key whose values are mostly identifiers, written with one prefix: besides it, only rare
        // misspellings of it (`C-1042` for `CC-1042`).
        guard identifierUses * 2 > allUses else { return }
        if let dominant = prefixUses.max(by: { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }) {
            let others = prefixUses.filter { $0.key != dominant.key }
            guard others.allSatisfy({
                EditDistance.withinOne($0.key, dominant.key) && $0.value * ValueVocabulary.typoRatio <= dominant.value
            }) else { return }
        }
        var formUses: [String: Int] = [:]
        for (folded, variants) in byFold where Identifier(folded: folded).map({ !$0.prefix.isEmpty }) ?? false {
            for (form, n) in variants { formUses[Self.prefixPart(of: form), default: 0] += n }
        }
        // A misspelt prefix's form is never the one to write.
        if let dominant = prefixUses.max(by: { a, b in a.value != b.value ? a.value < b.value : a.key > b.key })?.key {
            formUses = formUses.filter { Fold.fold($0.key) == dominant }
        }
        let prefix = formUses.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }?.key
        self.prefix = prefix
        for members in groups.values {
            var uses: [String: Int] = [:]
            for m in members { for (form, n) in byFold[m.folded]! { uses[form, default: 0] += n } }
            var form = uses.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }!.key
            // Only ever written bare: written the way the key writes its identifiers, so that every spelling of
            // the number (seen or not) has one form.
            if let prefix, members.allSatisfy({ $0.id.prefix.isEmpty }) { form = prefix + members[0].id.digits }
            for m in members { table[m.folded] = form }
        }
    }

    /// `CC-` of `CC-1042`: everything before the digits.
    static func prefixPart(of form: String) -> String {
        String(form.prefix { !$0.isNumber })
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
