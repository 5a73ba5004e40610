/// A native tag after normalisation, with what the cloud said so the reason can show both.
public struct NormalisedTag: Sendable, Hashable {
    public var key: String
    public var value: String
    public var nativeKey: String
    public var nativeValue: String
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

    /// A normaliser whose vocabulary is learned from `nativeTags` (one map per resource).
    public static func learning(
        from nativeTags: some Sequence<[String: String]?>, tables: NormalisationTables, requiredKeys: [String]
    ) -> TagNormaliser {
        let plain = TagNormaliser(tables: tables, requiredKeys: requiredKeys)
        let vocabulary = ValueVocabulary.learn(
            from: nativeTags.lazy.map { plain.canonicalise($0 ?? [:]) }, keys: plain.vocabularyKeys)
        return TagNormaliser(tables: tables, vocabulary: vocabulary, requiredKeys: requiredKeys)
    }

    /// Canonical key and synonym-mapped value, before the vocabulary. When several native keys map to one
    /// canonical key, the one spelled like the canonical key wins, then the lexicographically smallest.
    func canonicalise(_ native: [String: String]) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in normaliseWithoutVocabulary(native) { out[k] = v.value }
        return out
    }

    private func normaliseWithoutVocabulary(_ native: [String: String]) -> [String: NormalisedTag] {
        var out: [String: NormalisedTag] = [:]
        out.reserveCapacity(native.count)
        for (rawKey, rawValue) in native {
            let value = trimmed(rawValue)
            if value.isEmpty { continue }
            let key = tables.canonicalKey(rawKey)
            let mapped = tables.valueSynonyms[key]?[Fold.fold(value)] ?? value
            let candidate = NormalisedTag(key: key, value: mapped, nativeKey: rawKey, nativeValue: rawValue)
            if let existing = out[key] {
                let keepExisting = existing.nativeKey == key || (rawKey != key && existing.nativeKey < rawKey)
                if keepExisting { continue }
            }
            out[key] = candidate
        }
        return out
    }

    /// Native tags under canonical keys with canonical values. Empty values are dropped.
    public func normalise(_ native: [String: String]?) -> [String: NormalisedTag] {
        guard let native, !native.isEmpty else { return [:] }
        var out = normaliseWithoutVocabulary(native)
        for (key, tag) in out where vocabularyKeys.contains(key) {
            let form = vocabulary.form(of: tag.value, key: key)
            if form != tag.value { out[key]!.value = form }
        }
        return out
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
