/// Work shared by the resources of one pass. An estate repeats a few native tags (`Environment=prod`,
/// `team=payments`) and a few rule values thousands of times: each is normalised, and its reason built, once
/// per pass instead of once per resource, and later resources share the strings.
///
/// A class used by one pass on one thread (not Sendable): `EstateInference` makes one per estate pass,
/// `TagInferencer.resolve` one per resource. Bounded, so an estate whose tags are all different (a free-form
/// `Name` on every resource) costs no more memory than `limit` entries per table; past the bound, values
/// are computed each time, as without a memo.
final class EstateMemo {
    /// A native tag after normalisation, with the tag it becomes when no rule overrides it. A class: a
    /// resource's tags refer to the shared one instead of copying (and retaining) its strings.
    final class Native {
        let tag: NormalisedTag
        let plain: InferredTag

        init(tag: NormalisedTag, plain: InferredTag) {
            self.tag = tag
            self.plain = plain
        }
    }

    private struct Pair: Hashable {
        var first: String
        var second: String
    }

    /// Entries per table; an estate's distinct tags are usually a few hundred.
    let limit: Int
    let normaliser: TagNormaliser
    let thresholds: Thresholds
    /// (native key, native value) -> the tag; nil when the value is blank.
    private var natives: [Pair: Native?] = [:]
    /// (canonical key, value) -> canonical value.
    private var canonicalValues: [Pair: String] = [:]

    /// What the rule loop finds on a resource, emptied for the next one: allocated once per pass.
    var hits: [RuleHit] = []
    var matchedRules: [Int] = []

    init(normaliser: TagNormaliser, thresholds: Thresholds, limit: Int = 20_000) {
        self.normaliser = normaliser
        self.thresholds = thresholds
        self.limit = limit
    }

    /// A native tag normalised (see `TagNormaliser.normalise(key:value:)`), nil when its value is blank.
    func native(key: String, value: String) -> Native? {
        let pair = Pair(first: key, second: value)
        if let known = natives[pair] { return known }
        let computed = normaliser.normalise(key: key, value: value).map {
            Native(tag: $0, plain: TagInferencer.nativeTag($0, note: "", thresholds: thresholds))
        }
        if natives.count < limit { natives[pair] = computed }
        return computed
    }

    /// See `TagNormaliser.canonicalValue`.
    func canonicalValue(_ value: String, key: String) -> String {
        let pair = Pair(first: key, second: value)
        if let known = canonicalValues[pair] { return known }
        let computed = normaliser.canonicalValue(value, key: key)
        if canonicalValues.count < limit { canonicalValues[pair] = computed }
        return computed
    }
}
