import TaggingAPI

/// What the model sees of a resource: words of its name, where it lives, and its other known tags.
/// Features are short prefixed strings (`w:payments`, `t:ec2:instance`, `g:team=payments`).
public struct ResourceFeatures: Sendable, Hashable {
    static let tagPrefix = "g:"
    /// Relations whose target's name describes the resource too (a volume's instance, an Azure resource group).
    public static let nameRelations: Set<String> = ["AttachedTo", "MemberOf", "InResourceGroup"]

    /// Features that do not depend on the key being predicted.
    public var base: [String]
    /// Letters of the name (`l:d` standing alone, `e:d` ending run-together words): read as telling words (see
    /// `TellingWords`), and by naive Bayes only for the keys that `readsLetters` (for the others a letter is one more
    /// correlated hint).
    public var letters: [String]
    /// Known tags as features, with their key so the predicted key's own tag can be left out.
    public var tags: [(key: String, feature: String)]
    /// The name is, or carries, a generated id (`srv-7f3a9c2d`): a part of what identifies the resource
    /// that no model can read. It counts as one unknown piece of evidence (see `EvidenceGroup`), so such
    /// resources are judged with the other strangers: untagged estates are full of them.
    public var opaqueName: Bool

    public static func == (a: Self, b: Self) -> Bool {
        a.base == b.base && a.letters == b.letters && a.opaqueName == b.opaqueName && a.tags.map(\.key) == b.tags.map(\.key)
            && a.tags.map(\.feature) == b.tags.map(\.feature)
    }
    public func hash(into h: inout Hasher) {
        h.combine(base)
        h.combine(letters)
        h.combine(opaqueName)
        for t in tags { h.combine(t.key); h.combine(t.feature) }
    }

    /// `knownTags`: canonical key -> value the resource is known to have (native normalised, manual, rules, approved).
    /// `lexicon` splits names that run words together; `relatedNames` are the names of the resources it is
    /// attached to (a volume called `vol-0a1b` says little; its instance's name says who owns it).
    public init(spec: CloudResourceSpec, knownTags: [String: String], lexicon: NameLexicon = NameLexicon(),
                relatedNames: [String] = []) {
        self.init(spec: spec, knownTags: knownTags, lexicon: lexicon, relatedNames: relatedNames,
                  name: spec.name.map(NameTokenizer.read))
    }

    /// `name`: `NameTokenizer.read(spec.name)`, for a caller that read the name already (training hashes its
    /// group from the same words): each name is split once.
    init(spec: CloudResourceSpec, knownTags: [String: String], lexicon: NameLexicon, relatedNames: [String], name: NameReading?) {
        var base: [String] = []
        base.reserveCapacity(16)
        base.append("p:" + spec.provider)
        base.append("t:" + spec.type)
        if let colon = spec.type.firstIndex(of: ":") { base.append("s:" + spec.provider + "/" + spec.type[..<colon]) }
        if let account = spec.account, !account.isEmpty {
            base.append("a:" + account)
            // GCP projects and named subscriptions often carry the team or environment; the pieces of a
            // subscription GUID are not words (`d6b44e1a-...-57fd77360dd3` would give `n:fd`, `n:dd`).
            if !NameTokenizer.isUUID(account) {
                for w in NameTokenizer.tokens(account) { base.append("n:" + w) }
            }
        }
        if let region = spec.region, !region.isEmpty { base.append("r:" + region) }
        let related = relatedNames.map(NameTokenizer.read)
        // A name has a handful of words: a list searched is cheaper than a set built per resource.
        var seen: [String] = []
        if let name {
            let words = lexicon.tokens(splitting: name.tokens)
            seen.reserveCapacity(words.count)
            for (i, w) in words.enumerated() {
                if i == 0 { base.append("f:" + w) }
                if !seen.contains(w) {
                    seen.append(w)
                    base.append("w:" + w)
                }
                if i + 1 < words.count { base.append("b:" + w + "_" + words[i + 1]) }
            }
        }
        for r in related {
            for w in lexicon.tokens(splitting: r.tokens) where !seen.contains(w) {
                seen.append(w)
                base.append("w:" + w)
            }
        }
        // Letters standing alone (`d` in `STREAMING-D-WEB01`): `l:d`; letters left at the end of run-together
        // words (`sessionsdbd`): `e:d`, apart, since a plural's `s` is one too. Each checked on its own (see
        // `NameTokenizer.letters`, `NameLexicon.endingLetters`).
        var letters: [String] = []
        func addLetters(of name: NameReading) {
            for l in name.letters {
                let feature = "l:" + l
                if !letters.contains(feature) { letters.append(feature) }
            }
            for l in lexicon.endingLetters(tokens: name.tokens) {
                let feature = "e:" + l
                if !letters.contains(feature) { letters.append(feature) }
            }
        }
        if let name { addLetters(of: name) }
        for r in related { addLetters(of: r) }
        self.base = base
        self.letters = letters
        self.opaqueName = name?.hasIdLikeChunk ?? false
        self.tags = knownTags.sorted { $0.key < $1.key }.map { (key: $0.key, feature: Self.tagPrefix + $0.key + "=" + $0.value) }
    }

    /// The features used to predict `key`: everything but the key's own tag.
    public func features(for key: String, includeTags: Bool = true) -> [String] {
        guard includeTags else { return base }
        var out = base
        for t in tags where t.key != key { out.append(t.feature) }
        if Self.readsLetters(key) { out.append(contentsOf: letters.filter(Self.isStandingLetter)) }
        return out
    }

    /// Keys whose naive Bayes model reads the letters standing alone in a name (`d` in `STREAMING-D-WEB01`, `t` in
    /// `knowledge-base-t-lb`): naming conventions write the environment as one letter (Azure's Cloud Adoption
    /// Framework: `p`, `d`, `t`), too rarely for `TellingWords` to count it (seed 8957: 12 tagged resources had a
    /// `t`, all `test`; the untagged ones of dev projects were filled `development` from the project's word).
    static func readsLetters(_ key: String) -> Bool { key == "env" }

    /// A letter standing alone (`l:t`), not one ending a run-together word (`e:s`, a plural's as often as not).
    static func isStandingLetter(_ feature: String) -> Bool { feature.utf8.first == UInt8(ascii: "l") }

    /// Whether any tag other than `key`'s own is known (calibration differs with and without them).
    public func hasTags(besides key: String) -> Bool {
        tags.contains { $0.key != key }
    }
}
