/// Name words that on their own say a key's value, learned from the estate: `prd` in a name means
/// env=production, `ledger` means application=ledger, `notifier` means team=notifications. Naive Bayes adds
/// such a word to every other, correlated, hint (the account, the other words of the name) and can be
/// outvoted by them; a word that has told the value on resources of other accounts is evidence by itself.
///
/// Each word is checked the way the resources inference fills are met: held out one fold of accounts at a
/// time, the value the other accounts' resources with the word have must be the held-out resource's value.
/// Its confidence is the lower bound (Wilson, one-sided 95%) of how often that held: a word seen in one
/// account only (a subscription id's pieces, a team's private jargon) is never checked, so never telling.
public struct TellingWords: Codable, Sendable, Hashable {
    /// What one word says about one key: `agreeing` counts the resources with the word whose value the
    /// other accounts' resources predicted, `resources` those with the word and the key.
    public typealias Word = AgreedValue

    /// Key -> feature (`w:prd`, `b:card_vault`, `n:payments`) -> what it says.
    public var byKey: [String: [String: Word]]

    public init(byKey: [String: [String: Word]] = [:]) { self.byKey = byKey }

    /// Fewer resources with the word and it says nothing.
    static let minimumResources = 20
    /// Words below this confidence are not kept (a word that goes with the most common value a little more
    /// often than not, `web` -> production, tells nothing); when predicting, two words claiming at least this
    /// much for different values cancel each other (`dev` in the name of a resource in a `prod` project).
    static let minimumConfidence = 0.7

    /// Feature kinds that are words of a name: the resource's, a related one's, the account's. The name's
    /// letters (`ResourceFeatures.letters`: `l:d`, `e:d`) are checked like words too.
    static func isWord(_ feature: String) -> Bool {
        feature.hasPrefix("w:") || feature.hasPrefix("b:") || feature.hasPrefix("n:")
    }

    /// Learns from the training examples (their labels, after relabelling), folding accounts into `folds`.
    /// `dependencies`: the keys that determine each key, which split a word (see `isSplit`).
    public static func learn(_ examples: [TrainingExample], keys: [String], folds: Int,
                             dependencies: KeyDependencies = KeyDependencies()) -> TellingWords {
        // The keys that determine them are kept in the set too: `isSplit` groups by them.
        var kept = keys
        for key in keys { for d in dependencies.byTarget[key] ?? [] where !kept.contains(d.source) { kept.append(d.source) } }
        return learn(TrainingSet(examples, keys: kept, folds: folds), only: Set(keys), dependencies: dependencies)
    }

    /// Learns from a training set's labels of its keys (`only` these, when given), its accounts' folds and its
    /// features' numbers. A determining key the set keeps no labels for splits no word.
    static func learn(_ set: TrainingSet, only: Set<String>? = nil, dependencies: KeyDependencies = KeyDependencies()) -> TellingWords {
        let folds = set.folds
        // (word, value) pairs are hashed as two numbers.
        let word = set.names.map(isWord)
        // Words of account names, and the account features: an account word is judged by accounts too.
        let accountWord = set.names.map { $0.hasPrefix("n:") }
        let accountFeature = set.names.map { $0.hasPrefix("a:") }
        // The resources of each word, for `isSplit` (only when some key has keys that determine it).
        var resourcesOf: [[Int32]] = []
        if set.keys.contains(where: { !(dependencies.byTarget[$0] ?? []).isEmpty }) {
            resourcesOf = [[Int32]](repeating: [], count: set.names.count)
            for i in 0..<set.count {
                for f in set.base(i) where word[Int(f)] { resourcesOf[Int(f)].append(Int32(i)) }
                for f in set.letters(i) { resourcesOf[Int(f)].append(Int32(i)) }
            }
        }
        var byKey: [String: [String: Word]] = [:]
        for (k, key) in set.keys.enumerated() where only?.contains(key) ?? true {
            let labels = set.labels[k], keyValues = set.values[k]
            let determining = (dependencies.byTarget[key] ?? []).compactMap { set.keys.firstIndex(of: $0.source) }
            // Per (word, value): resources per account fold, at `slot * folds + fold` (see `PairSlots`).
            var slots = PairSlots(features: set.names.count, values: keyValues.count)
            var counts: [Int] = []
            var valuesOf: [Int32: [String]] = [:]
            // Per account word: per account (its feature number), its fold and resources per value.
            var byAccount: [Int32: [Int32: AccountCounts]] = [:]
            // Per letter: per deployment (its group hash), its account's fold and resources per value.
            var byDeployment: [Int32: [UInt64: AccountCounts]] = [:]
            for i in 0..<set.count {
                let v = labels[i]
                guard v >= 0 else { continue }
                let fold = Int(set.accountFolds[i])
                var account: Int32 = -1
                for f in set.base(i) where accountFeature[Int(f)] { account = f; break }
                for f in set.base(i) where accountWord[Int(f)] {
                    byAccount[f, default: [:]][account, default: AccountCounts(fold: fold)].resources[Int(v), default: 0] += 1
                }
                func count(_ f: Int32) {
                    var slot = slots.slot(f, v)
                    if slot < 0 {
                        slot = slots.add(f, v)
                        counts.append(contentsOf: repeatElement(0, count: folds))
                        valuesOf[f, default: []].append(keyValues[Int(v)])
                    }
                    counts[slot * folds + fold] += 1
                }
                for f in set.base(i) where word[Int(f)] { count(f) }
                if let group = set.letterGroup(i) {
                    for f in set.letters(i) {
                        count(f)
                        byDeployment[f, default: [:]][group, default: AccountCounts(fold: fold)].resources[Int(v), default: 0] += 1
                    }
                }
            }
            var valueNumbers: [String: Int32] = [:]
            for (v, value) in keyValues.enumerated() { valueNumbers[value] = Int32(v) }
            let names = set.names
            // A word that is itself one of the key's values speaks for that value only: `vault` in the name
            // of the rarely tagged application `vault` does not mean `card-vault`, however often the tagged
            // resources with the word are card-vault's.
            var named: [String: String] = [:]
            for v in labels where v >= 0 { named[Fold.fold(keyValues[Int(v)])] = keyValues[Int(v)] }
            var words: [String: Word] = [:]
            for (number, values) in valuesOf {
                let feature = names[Int(number)]
                let perValue = values.sorted().map { value in
                    let slot = slots.slot(number, valueNumbers[value]!)
                    return (value: value, folds: Array(counts[(slot * folds)..<(slot * folds + folds)]))
                }
                let totals = perValue.map { $0.folds.reduce(0, +) }
                let n = totals.reduce(0, +)
                guard n >= minimumResources else { continue }
                var agreeing = 0
                for fold in 0..<folds {
                    // The value the other folds' resources with the word have most (first in order on a tie).
                    var best = -1, bestCount = 0
                    for (i, v) in perValue.enumerated() {
                        let others = totals[i] - v.folds[fold]
                        if others > bestCount { best = i; bestCount = others }
                    }
                    if best >= 0 { agreeing += perValue[best].folds[fold] }
                }
                let confidence = IsotonicCalibration.wilsonLower(correct: Double(agreeing), of: Double(n))
                guard confidence >= minimumConfidence else { continue }
                // The value the folds but `fold` predict, as an index of `perValue`.
                func predicted(without fold: Int) -> Int? {
                    var best = -1, bestCount = 0
                    for (i, v) in perValue.enumerated() {
                        let others = totals[i] - v.folds[fold]
                        if others > bestCount { best = i; bestCount = others }
                    }
                    return best >= 0 ? best : nil
                }
                // How many of `groups` (each a fold and its resources per value) mostly have the value the other
                // folds predict.
                func agreeingGroups<C: Collection<AccountCounts>>(_ groups: C) -> Int {
                    groups.reduce(0) { sum, g in
                        guard let best = predicted(without: g.fold), let mine = g.majority else { return sum }
                        return sum + (keyValues[mine] == perValue[best].value ? 1 : 0)
                    }
                }
                if let accounts = byAccount[number] {
                    // An account word is one piece of evidence per account, however many resources the account
                    // holds: most of the accounts with it must have the value the other folds' accounts predict.
                    guard Double(agreeingGroups(accounts.values)) >= minimumConfidence * Double(accounts.count) else { continue }
                }
                if let deployments = byDeployment[number] {
                    // A letter is one piece of evidence per deployment: the prefix of one team's generated names
                    // (`x-snju4u46`) said env=production on 20 of 23 resources of a few deployments (seed 8837),
                    // and their untagged resources were right 41% of the time. Judged by deployment, the lower
                    // bound of how many agree must be as high as a word's.
                    let k = agreeingGroups(deployments.values)
                    guard IsotonicCalibration.wilsonLower(correct: Double(k), of: Double(deployments.count)) >= minimumConfidence
                    else { continue }
                }
                let top = totals.indices.max { totals[$0] != totals[$1] ? totals[$0] < totals[$1] : $0 > $1 }!
                if let value = named[Fold.fold(String(feature.dropFirst(2)))], Fold.fold(value) != Fold.fold(perValue[top].value) {
                    continue
                }
                if !determining.isEmpty,
                   isSplit(set, resourcesOf[Int(number)], key: k, value: perValue[top].value, by: determining) { continue }
                words[feature] = Word(value: perValue[top].value, agreeing: agreeing, resources: n, confidence: confidence)
            }
            if !words.isEmpty { byKey[key] = words }
        }
        return TellingWords(byKey: byKey)
    }

    /// Whether the resources with a word fall into groups by a key that determines `key` (`sources`: the
    /// application for the owner, the team for the cost centre), one of which mostly has another value for
    /// `key`: the word then speaks for the groups that tag `key` most, not for the resources it is read on. `analytics` said owner=elena on 37 of 42 resources, all of the team's
    /// applications but one, whose resources seldom tag their owner: on that application's untagged resources
    /// it was wrong every time (seed 6001); `platform` told ml-platform's cost centre on data-platform's.
    static func isSplit(_ set: TrainingSet, _ resources: [Int32], key: Int, value: String, by sources: [Int]) -> Bool {
        let folded = Fold.fold(value)
        let labels = set.labels[key], values = set.values[key]
        for other in sources {
            let otherLabels = set.labels[other], otherValues = set.values[other]
            var groups: [String: [String: Int]] = [:]
            for r in resources {
                let i = Int(r), v = labels[i], o = otherLabels[i]
                guard v >= 0, o >= 0 else { continue }
                groups[Fold.fold(otherValues[Int(o)]), default: [:]][Fold.fold(values[Int(v)]), default: 0] += 1
            }
            for counts in groups.values {
                let n = counts.values.reduce(0, +)
                guard n >= minimumSplitGroup else { continue }
                for (v, c) in counts where v != folded && Double(c) >= splitShare * Double(n) { return true }
            }
        }
        return false
    }

    /// The resources of one account with an account word, per value number.
    struct AccountCounts {
        var fold: Int
        var resources: [Int: Int] = [:]

        /// The value most of them have (the lowest number on a tie).
        var majority: Int? {
            resources.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }?.key
        }
    }

    /// A group of fewer resources (a stale or mistyped tag or two) splits no word.
    static let minimumSplitGroup = 3
    /// Share of a group's resources with another value that makes it a group of its own.
    static let splitShare = 2.0 / 3

    /// What the words of a resource (`features`: its `ResourceFeatures.base`, `letters` its letters) say about
    /// `key`: the most confident word, unless another word claims a different value (then nothing).
    func implied(key: String, features: [String], letters: [String] = []) -> Implication? {
        guard let words = byKey[key] else { return nil }
        var best: Implication?
        var values = Set<String>()
        for list in [features, letters] {
            for f in list {
                guard let w = words[f] else { continue }
                values.insert(Fold.fold(w.value))
                if best == nil || w.confidence > best!.word.confidence { best = Implication(feature: f, word: w) }
            }
        }
        return values.count == 1 ? best : nil
    }

    struct Implication {
        var feature: String
        var word: Word

        func reason(key: String) -> String {
            "\(TagInferencer.describe(feature)) went with \(key)=\(word.value) on \(word.agreeing) of \(word.resources) "
                + "resources, each judged by the resources of other accounts"
        }
    }
}
