/// A key's value written in a resource's name: `ml-platform-feature-store-stg-lb` names application
/// `feature-store`, GCP project `web-stg-7824` names team `web`. Naming guides build names from the workload
/// and its environment (Azure's Cloud Adoption Framework: `<type>-<workload>-<environment>-<region>-<instance>`),
/// so a name says its application even when nobody tagged that application often enough for the model or
/// `TellingWords` to have learned its words: what a naming convention carries needs no examples.
///
/// A value is named when its words appear in order among the name's words (`b:feature_store`, or `w:web` for
/// a one-word value) or, as a weaker source, among its account's words. A value contained in another named one
/// (`vault` in `card-vault`) gives way to it; two values named at once say nothing. A value whose words the
/// estate's tagged resources show going with other values (team `web` in `checkout-prod-web-01`, where `web` is a
/// machine's role) never counts. How often a named value was right is measured the way the resources inference
/// fills are met, holding out a fold of accounts at a time; its confidence is the lower bound (Wilson, one-sided
/// 95%) of that record, per key and per source.
public struct NamedValues: Codable, Sendable, Hashable {
    /// A value a name can carry, and the features that show it.
    public struct Candidate: Codable, Sendable, Hashable {
        public var value: String
        /// The value's words, in order.
        public var words: [String]
    }

    /// Where the value was written.
    public enum Source: String, Codable, Sendable, Hashable, CaseIterable, CodingKeyRepresentable {
        case name, account
    }

    /// Key -> the values a name may carry (those the estate's tagged resources do not contradict).
    public var candidates: [String: [Candidate]]
    /// Key -> source -> how often a value named there was right, on resources of accounts held out.
    public var records: [String: [Source: AgreedValue]]

    /// Key -> the candidates by the feature that starts them (see `Triggers`): built from `candidates`, not stored.
    private var triggers: [String: Triggers]

    public init(candidates: [String: [Candidate]] = [:], records: [String: [Source: AgreedValue]] = [:]) {
        self.candidates = candidates
        self.records = records
        self.triggers = candidates.mapValues(Triggers.init)
    }

    enum CodingKeys: String, CodingKey { case candidates, records }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            candidates: try c.decode([String: [Candidate]].self, forKey: .candidates),
            records: try c.decode([String: [Source: AgreedValue]].self, forKey: .records))
    }

    /// Candidates by the one feature each source's match must start with (`w:web`, `b:feature_store`, `n:web`), so a
    /// resource is checked against the few candidates its own features start, not every value of the key.
    struct Triggers: Sendable, Hashable {
        var bySource: [Source: [String: [Int]]] = [:]

        init(_ candidates: [Candidate]) {
            for (i, c) in candidates.enumerated() {
                bySource[.name, default: [:]][Self.trigger(c, source: .name), default: []].append(i)
                bySource[.account, default: [:]][Self.trigger(c, source: .account), default: []].append(i)
            }
        }

        static func trigger(_ c: Candidate, source: Source) -> String {
            switch source {
            case .name: c.words.count == 1 ? "w:" + c.words[0] : "b:" + c.words[0] + "_" + c.words[1]
            case .account: "n:" + c.words[0]
            }
        }

        /// Indices, in candidate order, of the candidates `features` start from `source`.
        func started(by features: [String], source: Source) -> [Int] {
            guard let table = bySource[source] else { return [] }
            var out: [Int] = []
            for f in features { if let hits = table[f] { out.append(contentsOf: hits) } }
            return out.count > 1 ? Array(Set(out)).sorted() : out
        }
    }

    /// A value the tagged resources naming it contradict more often than this (clearly: the upper bound of their
    /// agreement is below it) does not count; a typo or two among a handful of tags does not condemn it.
    static let minimumAgreement = 0.9
    /// Fewer checked resources and the record says nothing.
    static let minimumResources = 30
    /// Below this confidence a source is not kept (see `TellingWords.minimumConfidence`).
    static let minimumConfidence = 0.7

    /// Learns from the training examples (their labels, after relabelling), folding accounts into `folds`.
    public static func learn(_ examples: [TrainingExample], keys: [String], folds: Int) -> NamedValues {
        learn(TrainingSet(examples, keys: keys, folds: folds))
    }

    /// Learns from a training set's labels of its keys, its accounts' folds and its features' numbers.
    static func learn(_ set: TrainingSet) -> NamedValues {
        let folds = set.folds
        var candidates: [String: [Candidate]] = [:]
        var records: [String: [Source: AgreedValue]] = [:]
        let foldOf = set.accountFolds.map(Int.init)
        for (k, key) in set.keys.enumerated() {
            // The labelled examples, with their folded label.
            var labelled: [(index: Int, folded: String)] = []
            let keyValues = set.values[k]
            let foldedValues = keyValues.map(Fold.fold)
            var values: [String: String] = [:]
            for (i, v) in set.labels[k].enumerated() where v >= 0 {
                let folded = foldedValues[Int(v)]
                labelled.append((i, folded))
                if values[folded] == nil { values[folded] = keyValues[Int(v)] }
            }
            let all = values.values.sorted().compactMap { v -> Candidate? in
                let words = NameTokenizer.tokens(v)
                // Only a value that is all words: name words drop numbers, and `CC-41234` is not the word `cc`.
                let letters = String(v.lowercased().unicodeScalars.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) })
                return words.isEmpty || words.joined() != letters ? nil : Candidate(value: v, words: words)
            }
            guard !all.isEmpty else { continue }
            let foldedAll = all.map { Fold.fold($0.value) }
            // Per candidate, per account fold: labelled resources whose name (or account) names it, and how many have it.
            var named = [[Int]](repeating: [Int](repeating: 0, count: folds), count: all.count)
            var agreeing = named
            // Per labelled example, per source (`Source.allCases` order), the candidates named.
            var matches: [[[Int]]] = []
            matches.reserveCapacity(labelled.count)
            let numbered = NumberedCandidates(all, set: set)
            for (i, label) in labelled {
                let base = set.base(i)
                var found: [[Int]] = []
                for source in Source.allCases {
                    found.append(numbered.named(by: base, source: source))
                }
                matches.append(found)
                for c in found.joined() {
                    named[c][foldOf[i]] += 1
                    if foldedAll[c] == label { agreeing[c][foldOf[i]] += 1 }
                }
            }
            func trusted(_ c: Int, without fold: Int?) -> Bool {
                let n = named[c].reduce(0, +) - (fold.map { named[c][$0] } ?? 0)
                let k = agreeing[c].reduce(0, +) - (fold.map { agreeing[c][$0] } ?? 0)
                return n == 0 || Self.wilsonUpper(correct: Double(k), of: Double(n)) >= minimumAgreement
            }
            // The record: each labelled resource judged with the candidates the other folds trust.
            var tally: [Source: (right: Int, all: Int)] = [:]
            for ((i, label), found) in zip(labelled, matches) {
                for (source, m) in zip(Source.allCases, found) {
                    let m = m.filter { trusted($0, without: foldOf[i]) }
                    guard m.count == 1 else { continue }
                    tally[source, default: (0, 0)].all += 1
                    if foldedAll[m[0]] == label { tally[source, default: (0, 0)].right += 1 }
                }
            }
            var kept: [Source: AgreedValue] = [:]
            for (source, t) in tally where t.all >= minimumResources {
                let confidence = IsotonicCalibration.wilsonLower(correct: Double(t.right), of: Double(t.all))
                guard confidence >= minimumConfidence else { continue }
                kept[source] = AgreedValue(value: source.rawValue, agreeing: t.right, resources: t.all, confidence: confidence)
            }
            guard !kept.isEmpty else { continue }
            records[key] = kept
            candidates[key] = all.indices.filter { trusted($0, without: nil) }.map { all[$0] }
        }
        return NamedValues(candidates: candidates, records: records)
    }

    /// A key's candidates by feature numbers of a training set: `Triggers` and `names(_:in:source:)` for
    /// features given as numbers (a feature no example has cannot start or name a candidate).
    struct NumberedCandidates {
        let candidates: [Candidate]
        /// Per source: trigger feature number -> candidates it starts, in order.
        var triggers: [[Int32: [Int]]] = []
        /// Per source, per candidate: the feature numbers that must all be present, nil when one is in no example.
        var required: [[[Int32]?]] = []

        init(_ candidates: [Candidate], set: TrainingSet) {
            self.candidates = candidates
            for source in Source.allCases {
                var table: [Int32: [Int]] = [:]
                for (i, c) in candidates.enumerated() {
                    if let n = set.number(of: Triggers.trigger(c, source: source)) { table[n, default: []].append(i) }
                }
                triggers.append(table)
                required.append(candidates.map { c in
                    let features: [String]
                    switch source {
                    case .name:
                        features = c.words.count == 1 ? ["w:" + c.words[0]] : zip(c.words, c.words.dropFirst()).map { "b:" + $0 + "_" + $1 }
                    case .account:
                        features = c.words.map { "n:" + $0 }
                    }
                    var out: [Int32] = []
                    for f in features {
                        guard let n = set.number(of: f) else { return nil }
                        out.append(n)
                    }
                    return out
                })
            }
        }

        /// `NamedValues.named` for `features` given as numbers.
        func named(by features: ArraySlice<Int32>, source: Source) -> [Int] {
            let s = source == .name ? 0 : 1
            let table = triggers[s]
            guard !table.isEmpty else { return [] }
            var started: [Int] = []
            for f in features { if let hits = table[f] { started.append(contentsOf: hits) } }
            guard !started.isEmpty else { return [] }
            if started.count > 1 { started = Array(Set(started)).sorted() }
            var found: [Int] = []
            for i in started {
                if let needed = required[s][i], needed.allSatisfy({ features.contains($0) }) { found.append(i) }
            }
            guard found.count > 1 else { return found }
            return found.filter { i in
                !found.contains { j in j != i && candidates[j].words.count > candidates[i].words.count
                    && NamedValues.contains(candidates[j].words, candidates[i].words) }
            }
        }
    }

    /// Indices of the candidates `features` name from `source`, less those contained in another named one.
    /// `started`: the candidates `features` start (see `Triggers`), in order; the others cannot be named.
    static func named(_ candidates: [Candidate], _ started: [Int], in features: Set<String>, source: Source) -> [Int] {
        guard !started.isEmpty else { return [] }
        var found: [Int] = []
        for i in started where Self.names(candidates[i], in: features, source: source) { found.append(i) }
        guard found.count > 1 else { return found }
        return found.filter { i in
            !found.contains { j in j != i && candidates[j].words.count > candidates[i].words.count
                && Self.contains(candidates[j].words, candidates[i].words) }
        }
    }

    /// Whether `features` show the candidate's words from `source`: in order in the name (its word pairs), or
    /// all among the account's words.
    static func names(_ c: Candidate, in features: Set<String>, source: Source) -> Bool {
        switch source {
        case .name:
            if c.words.count == 1 { return features.contains("w:" + c.words[0]) }
            return zip(c.words, c.words.dropFirst()).allSatisfy { features.contains("b:" + $0 + "_" + $1) }
        case .account:
            return c.words.allSatisfy { features.contains("n:" + $0) }
        }
    }

    /// The upper bound (Wilson, one-sided 95%) of `k` of `n`.
    static func wilsonUpper(correct k: Double, of n: Double, z: Double = 1.64) -> Double {
        guard n > 0 else { return 1 }
        let p = k / n
        return (p + z * z / (2 * n) + z * ((p * (1 - p) + z * z / (4 * n)) / n).squareRoot()) / (1 + z * z / n)
    }

    static func contains(_ longer: [String], _ shorter: [String]) -> Bool {
        guard shorter.count <= longer.count else { return false }
        return (0...(longer.count - shorter.count)).contains { Array(longer[$0..<($0 + shorter.count)]) == shorter }
    }

    /// The value the resource's name (or its account's) carries for `key`, with the record behind it; nil when
    /// it names none or several, or name and account disagree.
    func implied(key: String, features: [String]) -> Implication? {
        guard let list = candidates[key], let record = records[key], let triggers = triggers[key] else { return nil }
        var set: Set<String>?
        var found: [Implication] = []
        for source in Source.allCases {
            guard let r = record[source] else { continue }
            let started = triggers.started(by: features, source: source)
            guard !started.isEmpty else { continue }
            if set == nil { set = Set(features) }
            let m = Self.named(list, started, in: set!, source: source)
            guard !m.isEmpty else { continue }
            guard m.count == 1 else { return nil }
            found.append(Implication(value: list[m[0]].value, source: source, record: r))
        }
        guard let first = found.first else { return nil }
        guard found.allSatisfy({ Fold.fold($0.value) == Fold.fold(first.value) }) else { return nil }
        return found.max { $0.record.confidence < $1.record.confidence }
    }

    struct Implication {
        var value: String
        var source: Source
        var record: AgreedValue

        func reason(key: String) -> String {
            "the \(source == .name ? "name" : "account's name") carries \(key)=\(value); a value named there was right on "
                + "\(record.agreeing) of \(record.resources) tagged resources, each judged by the resources of other accounts"
        }
    }
}
