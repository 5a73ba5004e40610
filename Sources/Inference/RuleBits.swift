/// A set of rule positions as a bitset: cheap to test, and shared (not copied) until changed.
struct RuleBits: Sendable, Hashable {
    private var words: [UInt64]

    init(count: Int) { words = [UInt64](repeating: 0, count: (count + 63) / 64) }

    static let empty = RuleBits(count: 0)

    @inline(__always) func contains(_ i: Int) -> Bool {
        let w = i >> 6
        return w < words.count && words[w] & (1 << UInt64(i & 63)) != 0
    }

    mutating func insert(_ i: Int) {
        let w = i >> 6
        if w >= words.count { words += [UInt64](repeating: 0, count: w + 1 - words.count) }
        words[w] |= 1 << UInt64(i & 63)
    }

    var isEmpty: Bool { words.allSatisfy { $0 == 0 } }

    mutating func formUnion(_ other: RuleBits) {
        if words.count < other.words.count { words += [UInt64](repeating: 0, count: other.words.count - words.count) }
        for (i, w) in other.words.enumerated() { words[i] |= w }
    }
}

/// Rules whose match needs a tag to have one of a few values (`match.tags` with operator In), indexed by
/// the value: a resource is checked only against the ones its tag value can satisfy. A necessary condition
/// only: the full match still runs for the rules the index admits.
struct TagValueIndex: Sendable {
    struct Slot: Sendable {
        /// Where the matcher looks, in its order: canonical key, key as written, raw native key.
        var canonicalKey: String
        var key: String
        /// Folded value -> the rules of this slot that accept it.
        var byValue: [String: RuleBits]
    }

    private(set) var slots: [Slot] = []
    /// Every rule that has a slot.
    private(set) var guarded = RuleBits(count: 0)
    /// Keys whose change (by a rule setting a tag) can change what the slots admit.
    private(set) var keys: Set<String> = []

    var isEmpty: Bool { slots.isEmpty }

    init(_ rules: [CompiledRule]) {
        var slotOf: [String: Int] = [:]
        for (i, rule) in rules.enumerated() {
            guard let m = rule.matchers.first(where: { $0.op == .in }) else { continue }
            let id = m.canonicalKey + "\u{0}" + m.key
            let s: Int
            if let existing = slotOf[id] {
                s = existing
            } else {
                s = slots.count
                slotOf[id] = s
                slots.append(Slot(canonicalKey: m.canonicalKey, key: m.key, byValue: [:]))
                keys.insert(m.canonicalKey)
                keys.insert(m.key)
            }
            for v in m.values { slots[s].byValue[v, default: RuleBits(count: rules.count)].insert(i) }
            guarded.insert(i)
        }
    }

    /// The guarded rules a resource with these tags can match (see `CompiledMatcher.value`).
    func admitted(tags: [String: String], rawNative: [String: String]?) -> RuleBits {
        var out = RuleBits.empty
        for slot in slots {
            guard let v = tags[slot.canonicalKey] ?? tags[slot.key] ?? rawNative?[slot.key],
                  let bits = slot.byValue[Fold.fold(v)] else { continue }
            if out.isEmpty { out = bits } else { out.formUnion(bits) }
        }
        return out
    }

    /// Whether the rule at `i` can be skipped: it has a slot and the resource's value is not among its values.
    @inline(__always) func excludes(_ i: Int, admitted: RuleBits) -> Bool {
        guarded.contains(i) && !admitted.contains(i)
    }
}
