/// How often a group's most common value, counted on the group's members of the other folds, is a held-out
/// member's own: the record of "the resources of this account (or of this source value) agree on X", judged the
/// way inference meets resources, by members it did not count. Shared by `KeyDependencies` and `AccountValues`.
enum HeldOutAgreement {
    /// Per support bucket: members whose held-out value was the others' most common one, and all members judged.
    struct Tally {
        var agreeing: [Int]
        var judged: [Int]
    }

    /// `groups`: per group, value -> members per fold. A member is judged when `bucket` counts its group's other
    /// folds, given their support and how many of it have their most common value (ties go to the smaller value);
    /// `buckets` is how many `bucket` returns.
    static func measure<Value: Hashable & Comparable>(
        _ groups: some Sequence<[Value: [Int]]>, folds: Int, buckets: Int, bucket: (_ support: Int, _ agreeing: Int) -> Int?
    ) -> Tally {
        var out = Tally(agreeing: [Int](repeating: 0, count: buckets), judged: [Int](repeating: 0, count: buckets))
        for byValue in groups {
            let totals = byValue.mapValues { $0.reduce(0, +) }
            for fold in 0..<folds {
                // The other folds' support and their most common value.
                var n = 0
                var top: Value?
                var topCount = 0
                for (value, perFold) in byValue {
                    let c = totals[value]! - perFold[fold]
                    n += c
                    if c > 0, top == nil || c > topCount || (c == topCount && value < top!) {
                        top = value
                        topCount = c
                    }
                }
                guard let top, let b = bucket(n, topCount) else { continue }
                for (value, perFold) in byValue where perFold[fold] > 0 {
                    out.judged[b] += perFold[fold]
                    if value == top { out.agreeing[b] += perFold[fold] }
                }
            }
        }
        return out
    }
}
