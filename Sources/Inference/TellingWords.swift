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

    /// Feature kinds that are words of a name: the resource's, a related one's, the account's.
    static func isWord(_ feature: String) -> Bool {
        feature.hasPrefix("w:") || feature.hasPrefix("b:") || feature.hasPrefix("n:")
    }

    /// Learns from the training examples (their labels, after relabelling), folding accounts into `folds`.
    /// `dependencies`: the keys that determine each key, which split a word (see `isSplit`).
    public static func learn(_ examples: [TrainingExample], keys: [String], folds: Int,
                             dependencies: KeyDependencies = KeyDependencies()) -> TellingWords {
        // Each example's words numbered and its account's fold computed once for all keys (a string is hashed
        // once, not once per key); (word, value) pairs are then hashed as two numbers.
        var numbers: [String: Int32] = [:]
        var names: [String] = []
        var wordsOf: [[Int32]] = []
        var foldOf: [Int] = []
        wordsOf.reserveCapacity(examples.count)
        foldOf.reserveCapacity(examples.count)
        for e in examples {
            var list: [Int32] = []
            for f in e.features.base where isWord(f) {
                if let n = numbers[f] {
                    list.append(n)
                } else {
                    let n = Int32(names.count)
                    numbers[f] = n
                    names.append(f)
                    list.append(n)
                }
            }
            wordsOf.append(list)
            foldOf.append(Int(FNV.hash(e.account) % UInt64(folds)))
        }
        var examplesOf = [[Int]](repeating: [], count: names.count)
        for (i, list) in wordsOf.enumerated() { for f in list { examplesOf[Int(f)].append(i) } }
        var byKey: [String: [String: Word]] = [:]
        for key in keys {
            // Per (word, value) (`word << 32 | value`): resources per account fold.
            let determining = dependencies.byTarget[key]?.map(\.source) ?? []
            var counts: [Int64: [Int]] = [:]
            var valueNumbers: [String: Int32] = [:]
            var valuesOf: [Int32: [String]] = [:]
            for i in examples.indices {
                guard let value = examples[i].labels[key], !value.isEmpty else { continue }
                let v: Int32
                if let known = valueNumbers[value] {
                    v = known
                } else {
                    v = Int32(valueNumbers.count)
                    valueNumbers[value] = v
                }
                let fold = foldOf[i]
                for f in wordsOf[i] {
                    let slot = Int64(f) << 32 | Int64(v)
                    if counts[slot] == nil {
                        counts[slot] = [Int](repeating: 0, count: folds)
                        valuesOf[f, default: []].append(value)
                    }
                    counts[slot]![fold] += 1
                }
            }
            // A word that is itself one of the key's values speaks for that value only: `vault` in the name
            // of the rarely tagged application `vault` does not mean `card-vault`, however often the tagged
            // resources with the word are card-vault's.
            var named: [String: String] = [:]
            for e in examples { if let v = e.labels[key] { named[Fold.fold(v)] = v } }
            var words: [String: Word] = [:]
            for (number, values) in valuesOf {
                let feature = names[Int(number)]
                let perValue = values.sorted().map { (value: $0, folds: counts[Int64(number) << 32 | Int64(valueNumbers[$0]!)]!) }
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
                let top = totals.indices.max { totals[$0] != totals[$1] ? totals[$0] < totals[$1] : $0 > $1 }!
                if let value = named[Fold.fold(String(feature.dropFirst(2)))], Fold.fold(value) != Fold.fold(perValue[top].value) {
                    continue
                }
                if isSplit(examples, examplesOf[Int(number)], key: key, value: perValue[top].value, by: determining) { continue }
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
    static func isSplit(_ examples: [TrainingExample], _ indices: [Int], key: String, value: String, by sources: [String]) -> Bool {
        let folded = Fold.fold(value)
        for other in sources {
            var groups: [String: [String: Int]] = [:]
            for i in indices {
                guard let v = examples[i].labels[key], let o = examples[i].labels[other], !v.isEmpty, !o.isEmpty else { continue }
                groups[Fold.fold(o), default: [:]][Fold.fold(v), default: 0] += 1
            }
            for values in groups.values {
                let n = values.values.reduce(0, +)
                guard n >= minimumSplitGroup else { continue }
                for (v, c) in values where v != folded && Double(c) >= splitShare * Double(n) { return true }
            }
        }
        return false
    }

    /// A group of fewer resources (a stale or mistyped tag or two) splits no word.
    static let minimumSplitGroup = 3
    /// Share of a group's resources with another value that makes it a group of its own.
    static let splitShare = 2.0 / 3

    /// What the words of a resource (`features`: its `ResourceFeatures.base`) say about `key`: the most
    /// confident word, unless another word claims a different value (then nothing).
    func implied(key: String, features: [String]) -> Implication? {
        guard let words = byKey[key] else { return nil }
        var best: Implication?
        var values = Set<String>()
        for f in features {
            guard let w = words[f] else { continue }
            values.insert(Fold.fold(w.value))
            if best == nil || w.confidence > best!.word.confidence { best = Implication(feature: f, word: w) }
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
