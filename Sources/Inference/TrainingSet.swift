/// An estate's training examples as numbers: each distinct feature string numbered once and shared by the
/// trainers of all keys, `TellingWords` and `NamedValues` (none hashes a feature string again), each key's
/// values numbered, each example's held-out folds computed once. Built one example at a time, so the
/// estate's features are never all held as strings: only the distinct ones, in `names`.
struct TrainingSet {
    /// Feature number -> feature.
    private(set) var names: [String] = []
    private var numbers: [String: Int32] = [:]
    /// The keys labels are kept for.
    let keys: [String]
    let folds: Int
    /// Example i's base features (`ResourceFeatures.base`) are `baseIds[baseStarts[i]..<baseStarts[i + 1]]`.
    private(set) var baseStarts: [Int] = [0]
    private(set) var baseIds: [Int32] = []
    /// Its letters (`ResourceFeatures.letters`), likewise.
    private(set) var letterStarts: [Int] = [0]
    private(set) var letterIds: [Int32] = []
    /// Per letter in `letterIds`, its example's group hash (see `TrainingExample.group`): letters are judged by
    /// deployment (see `TellingWords`), and few names have one.
    private(set) var letterGroups: [UInt64] = []
    /// Its known tags' features, likewise, with each tag's key as a number of `tagKeyNumbers`.
    private(set) var tagStarts: [Int] = [0]
    private(set) var tagIds: [Int32] = []
    private(set) var tagKeys: [Int32] = []
    private var tagKeyNumbers: [String: Int32] = [:]
    private(set) var opaqueName: [Bool] = []
    /// Per example, its held-out fold in each scheme (by deployment, by account: see `TagModel.train`).
    private(set) var groupFolds: [Int32] = []
    private(set) var accountFolds: [Int32] = []
    /// Per example, its account's number in `accountNames`.
    private(set) var accounts: [Int32] = []
    /// Account number -> account, in the order first seen.
    private(set) var accountNames: [String] = []
    private var accountNumbers: [String: Int32] = [:]
    /// Per key (in `keys` order), per example: its label's number in `values`, -1 when it has none.
    private(set) var labels: [[Int32]]
    /// Per key, its labels' values in the order first seen.
    private(set) var values: [[String]]
    private var valueNumbers: [[String: Int32]]

    var count: Int { opaqueName.count }

    init(keys: [String], folds: Int) {
        self.keys = keys
        self.folds = folds
        labels = Array(repeating: [], count: keys.count)
        values = Array(repeating: [], count: keys.count)
        valueNumbers = Array(repeating: [:], count: keys.count)
    }

    init(_ examples: [TrainingExample], keys: [String], folds: Int) {
        self.init(keys: keys, folds: folds)
        for e in examples { append(e.features, labels: e.labels, groupHash: FNV.hash(e.group), account: e.account) }
    }

    /// Adds an example; labels of keys not in `keys`, and empty ones, are not kept. `groupHash`: `FNV.hash` of
    /// its group (see `TrainingExample.group`).
    mutating func append(_ features: ResourceFeatures, labels: [String: String], groupHash: UInt64, account: String) {
        for f in features.base { baseIds.append(number(f)) }
        baseStarts.append(baseIds.count)
        for f in features.letters {
            letterIds.append(number(f))
            letterGroups.append(groupHash)
        }
        letterStarts.append(letterIds.count)
        for t in features.tags {
            tagIds.append(number(t.feature))
            tagKeys.append(tagKeyNumber(t.key))
        }
        tagStarts.append(tagIds.count)
        opaqueName.append(features.opaqueName)
        groupFolds.append(Int32(groupHash % UInt64(folds)))
        accountFolds.append(Int32(FNV.hash(account) % UInt64(folds)))
        if let a = accountNumbers[account] {
            accounts.append(a)
        } else {
            let a = Int32(accountNames.count)
            accountNumbers[account] = a
            accountNames.append(account)
            accounts.append(a)
        }
        for (k, key) in keys.enumerated() {
            guard let value = labels[key], !value.isEmpty else { self.labels[k].append(-1); continue }
            if let v = valueNumbers[k][value] {
                self.labels[k].append(v)
            } else {
                let v = Int32(values[k].count)
                valueNumbers[k][value] = v
                values[k].append(value)
                self.labels[k].append(v)
            }
        }
    }

    /// The number of a feature some example has, nil for one none has.
    func number(of feature: String) -> Int32? { numbers[feature] }

    /// The number tags of `key` carry, -1 when no example has a tag of it.
    func tagKey(_ key: String) -> Int32 { tagKeyNumbers[key] ?? -1 }

    /// Example i's base features.
    @inline(__always) func base(_ i: Int) -> ArraySlice<Int32> { baseIds[baseStarts[i]..<baseStarts[i + 1]] }
    @inline(__always) func letters(_ i: Int) -> ArraySlice<Int32> { letterIds[letterStarts[i]..<letterStarts[i + 1]] }
    /// The group hash of example i's letters (each letter of `letters(i)` has the same).
    @inline(__always) func letterGroup(_ i: Int) -> UInt64? {
        letterStarts[i] < letterStarts[i + 1] ? letterGroups[letterStarts[i]] : nil
    }

    /// The numbers of example i's `ResourceFeatures.features(for: key)`, in its order; `tagKey` is `tagKey(key)`,
    /// `letters` whether the key reads letters (`ResourceFeatures.readsLetters`).
    func ids(_ i: Int, tagKey: Int32, letters: Bool, into out: inout [Int32]) {
        out.append(contentsOf: base(i))
        for t in tagStarts[i]..<tagStarts[i + 1] where tagKeys[t] != tagKey { out.append(tagIds[t]) }
        if letters {
            for f in self.letters(i) where ResourceFeatures.isStandingLetter(names[Int(f)]) { out.append(f) }
        }
    }

    /// `ResourceFeatures.hasTags(besides:)` of example i.
    func hasTags(_ i: Int, besides tagKey: Int32) -> Bool {
        (tagStarts[i]..<tagStarts[i + 1]).contains { tagKeys[$0] != tagKey }
    }

    private mutating func number(_ feature: String) -> Int32 {
        if let known = numbers[feature] { return known }
        let n = Int32(names.count)
        numbers[feature] = n
        names.append(feature)
        return n
    }

    private mutating func tagKeyNumber(_ key: String) -> Int32 {
        if let known = tagKeyNumbers[key] { return known }
        let n = Int32(tagKeyNumbers.count)
        tagKeyNumbers[key] = n
        return n
    }
}
