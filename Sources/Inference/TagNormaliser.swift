/// A native tag after normalisation, with what the cloud said so the reason can show both.
public struct NormalisedTag: Sendable, Hashable {
    public var key: String
    public var value: String
    public var nativeKey: String
    public var nativeValue: String
    /// How the estate's vocabulary changed the key or value beyond case and punctuation (an identifier's
    /// usual spelling, a misspelling), for the reason; nil when it did not.
    public var folding: String? = nil
}

/// Turns native tags into canonical keys and values: key synonyms, value synonyms, then the estate's
/// own spelling of the value (the vocabulary).
public struct TagNormaliser: Sendable {
    public let tables: NormalisationTables
    public let vocabulary: ValueVocabulary
    /// Keys the vocabulary learns: the tables' canonical keys and the required keys.
    public let vocabularyKeys: Set<String>

    public init(tables: NormalisationTables, vocabulary: ValueVocabulary = ValueVocabulary(), requiredKeys: [String] = []) {
        self.tables = tables
        self.vocabulary = vocabulary
        self.vocabularyKeys = tables.canonicalKeys.union(requiredKeys)
    }

    /// A normaliser whose vocabulary is learned from `nativeTags` (one map per resource). `groups`: each resource's
    /// deployment (`TrainingExample.groupHash`), in the same order, to find the required keys' former values
    /// (`FormerValues`); none are without.
    public static func learning(
        from nativeTags: some Sequence<[String: String]?>, tables: NormalisationTables, requiredKeys: [String],
        groups: [UInt64]? = nil
    ) -> TagNormaliser {
        // Keys first: a misspelt key's values belong to the key it stands for.
        // An estate repeats a few keys and tags thousands of times: each distinct one is folded (and normalised)
        // once, and the counts added up.
        var rawKeyCounts: [String: Int] = [:]
        for tags in nativeTags { for key in (tags ?? [:]).keys { rawKeyCounts[key, default: 0] += 1 } }
        var keyCounts: [String: Int] = [:]
        for (key, n) in rawKeyCounts { keyCounts[Fold.fold(key), default: 0] += n }
        let keyTypos = ValueVocabulary.keyTypos(keyCounts: keyCounts, tables: tables)
        let plain = TagNormaliser(tables: tables, vocabulary: ValueVocabulary(keyTypos: keyTypos), requiredKeys: requiredKeys)
        // Each distinct normalised (key, value) numbered when first made, and counted by its number: a resource's
        // tags are counted without hashing them again.
        var counted: [ValueVocabulary.KeyValue] = []
        var counts: [Int] = []
        var numberOf: [ValueVocabulary.KeyValue: Int] = [:]
        var normalised: [ValueVocabulary.KeyValue: CountedTag?] = [:]
        // One resource's tags by canonical key: a handful, so a list searched.
        var chosen: [CountedTag] = []
        // Resources of each deployment carrying each required key's tag (by number), for `FormerValues`.
        let required = Set(requiredKeys)
        var placed: [PlacedTag: Int] = [:]
        for (r, tags) in nativeTags.enumerated() {
            guard let tags, !tags.isEmpty else { continue }
            chosen.removeAll(keepingCapacity: true)
            // `canonicalise`, each distinct native tag normalised once.
            for (rawKey, rawValue) in tags {
                let raw = ValueVocabulary.KeyValue(key: rawKey, value: rawValue)
                let entry: CountedTag?
                if let known = normalised[raw] {
                    entry = known
                } else if let tag = plain.normalise(key: rawKey, value: rawValue, vocabulary: false) {
                    let kv = ValueVocabulary.KeyValue(key: tag.key, value: tag.value)
                    let number: Int
                    if let n = numberOf[kv] {
                        number = n
                    } else {
                        number = counted.count
                        numberOf[kv] = number
                        counted.append(kv)
                        counts.append(0)
                    }
                    entry = CountedTag(tag: tag, number: number)
                    if normalised.count < 50_000 { normalised[raw] = entry }
                } else {
                    entry = nil
                    if normalised.count < 50_000 { normalised[raw] = .some(nil) }
                }
                guard let candidate = entry else { continue }
                if let j = chosen.firstIndex(where: { $0.tag.key == candidate.tag.key }) {
                    if Self.prefers(candidate.tag, over: chosen[j].tag) { chosen[j] = candidate }
                } else {
                    chosen.append(candidate)
                }
            }
            for c in chosen {
                counts[c.number] += 1
                if let groups, required.contains(c.tag.key) { placed[PlacedTag(group: groups[r], number: c.number), default: 0] += 1 }
            }
        }
        var tagCounts: [ValueVocabulary.KeyValue: Int] = [:]
        for (n, kv) in counted.enumerated() where counts[n] > 0 { tagCounts[kv] = counts[n] }
        var vocabulary = ValueVocabulary.learn(counts: tagCounts, keys: plain.vocabularyKeys)
        vocabulary.keyTypos = keyTypos
        var inForm: [FormerValues.Placed: Int] = [:]
        for (p, n) in placed {
            let kv = counted[p.number]
            inForm[FormerValues.Placed(group: p.group, key: kv.key, value: vocabulary.form(of: kv.value, key: kv.key)), default: 0] += n
        }
        vocabulary.fold(formers: FormerValues.learn(inForm))
        return TagNormaliser(tables: tables, vocabulary: vocabulary, requiredKeys: requiredKeys)
    }

    /// A required key's tag (by its number among those `learning` counts) on a resource of a deployment.
    private struct PlacedTag: Hashable {
        var group: UInt64
        var number: Int
    }

    /// A normalised native tag and the number of its (key, value) among those `learning` counts.
    private struct CountedTag {
        var tag: NormalisedTag
        var number: Int
    }

    /// Canonical key and synonym-mapped value, before the vocabulary. When several native keys map to one
    /// canonical key, see `prefers`.
    func canonicalise(_ native: [String: String]) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in normalise(native, vocabulary: false) { out[k] = v.value }
        return out
    }

    /// When several native keys map to one canonical key, the one spelled like the canonical key wins, then
    /// the lexicographically smallest: the same choice whatever order the native tags come in.
    static func prefers(_ candidate: NormalisedTag, over existing: NormalisedTag) -> Bool {
        !(existing.nativeKey == existing.key || (candidate.nativeKey != candidate.key && existing.nativeKey < candidate.nativeKey))
    }

    /// One native tag under its canonical key with its canonical value (the estate's form of it when
    /// `vocabulary`); nil when the value is blank, or a placeholder of a governance key (`Owner=TBD`: the key
    /// is still missing, and inference fills it).
    func normalise(key rawKey: String, value rawValue: String, vocabulary useVocabulary: Bool = true) -> NormalisedTag? {
        let value = trimmed(rawValue)
        if value.isEmpty { return nil }
        let key = canonicalKey(rawKey)
        let folded = Fold.fold(value)
        if vocabularyKeys.contains(key), Self.placeholders.contains(folded) { return nil }
        let synonym = tables.valueSynonyms[key]?[folded] ?? value
        var mapped = synonym
        if useVocabulary, vocabularyKeys.contains(key) { mapped = vocabulary.form(of: synonym, key: key) }
        var folding = mapped == synonym ? nil : vocabulary.folding(of: synonym, into: mapped, key: key)
        if tables.keySynonyms[Fold.fold(rawKey)] == nil, key != rawKey {
            folding = Text.join("key ", rawKey, " taken for a misspelling of ", key, folding.map { "; " + $0 } ?? "")
        }
        return NormalisedTag(key: key, value: mapped, nativeKey: rawKey, nativeValue: rawValue, folding: folding)
    }

    private func normalise(_ native: [String: String], vocabulary: Bool) -> [String: NormalisedTag] {
        var out: [String: NormalisedTag] = [:]
        out.reserveCapacity(native.count)
        for (rawKey, rawValue) in native {
            guard let candidate = normalise(key: rawKey, value: rawValue, vocabulary: vocabulary) else { continue }
            if let existing = out[candidate.key], !Self.prefers(candidate, over: existing) { continue }
            out[candidate.key] = candidate
        }
        return out
    }

    /// Native tags under canonical keys with canonical values. Empty values are dropped.
    public func normalise(_ native: [String: String]?) -> [String: NormalisedTag] {
        guard let native, !native.isEmpty else { return [:] }
        return normalise(native, vocabulary: true)
    }

    /// The canonical key of a native key: its synonym, else the known key the estate misspells this way,
    /// else the key itself.
    public func canonicalKey(_ rawKey: String) -> String {
        let folded = Fold.fold(rawKey)
        return tables.keySynonyms[folded] ?? vocabulary.keyTypos[folded] ?? rawKey
    }

    /// Native tags as a plain canonical key -> value map.
    public func normalisedValues(_ native: [String: String]?) -> [String: String] {
        normalise(native).mapValues(\.value)
    }

    /// The canonical form of one value of a canonical key (used to compare values and rule matchers).
    public func canonicalValue(_ value: String, key: String) -> String {
        let v = trimmed(value)
        let mapped = tables.valueSynonyms[key]?[Fold.fold(v)] ?? v
        return vocabularyKeys.contains(key) ? vocabulary.form(of: mapped, key: key) : mapped
    }

    /// Folded values people write to get past a required-tag check without saying anything (`TBD`, `N/A`, `-`).
    static let placeholders: Set<String> = [
        "", "tbd", "tba", "todo", "unknown", "na", "none", "null", "nil", "notset", "changeme", "undefined", "unassigned",
    ]

    private func trimmed(_ s: String) -> String {
        if let first = s.utf8.first, let last = s.utf8.last, !Self.isSpaceByte(first), !Self.isSpaceByte(last),
           first < 0x80, last < 0x80 {
            return s
        }
        var sub = Substring(s)
        while let f = sub.first, f.isWhitespace { sub.removeFirst() }
        while let l = sub.last, l.isWhitespace { sub.removeLast() }
        return sub.count == s.count ? s : String(sub)
    }

    private static func isSpaceByte(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
}
