/// A key's value an account's tagged resources agree on. Landing zones give each team its own accounts (AWS
/// accounts, GCP projects, Azure subscriptions), so in most estates an account's tagged resources say the team,
/// the cost centre and often the environment of its untagged ones: `account 776691377401's tagged resources have
/// team=checkout on 5 of 5`. Naive Bayes weighs the account too, but a thinly tagged account (a team that seldom
/// tags) gives it little to go on, and its calibration, fitted mostly on thickly tagged evidence, rates such
/// guesses at 0.5-0.7 though they are right nearly always.
///
/// How often an account's agreed value holds is measured on the estate, by how many tagged resources agree
/// (`supportEdges`): each tagged resource is judged by the account's tagged resources of other deployments
/// (held out a fold of deployments at a time, as the resources inference fills are mostly other deployments
/// of the account). Its confidence is the lower bound (Wilson, one-sided 95%) of that record, per key and
/// support. What the record cannot see is guarded apart: a key the estate's accounts do not determine
/// (`minimumReliability`: an account holds several applications), an account whose tagged resources disagree
/// (a shared one), and an account of which only a sliver is tagged (`minimumCoverage`). An account's value never
/// overrides what the resource's own name, tags or parent say (`TagInferencer`).
public struct AccountValues: Codable, Sendable, Hashable {
    /// Key -> account -> the value its tagged resources agree on (`agreeing` of `resources`), with the confidence
    /// its support's record gives it.
    public var values: [String: [String: AgreedValue]]
    /// Key -> per support bucket (`supportEdges`), how often an agreed value held on resources of other deployments
    /// (`value` names the bucket); nil where too few were judged.
    public var records: [String: [AgreedValue?]]
    /// Key -> how often the key's tagged resources (of accounts with `supportEdges[0]` or more) have their
    /// account's most common value (`agreeing` of `resources`): whether the estate's accounts say the key at all.
    public var reliability: [String: AgreedValue]
    /// Accounts whose tagged resources disagree on a key the estate's accounts say (a platform subscription, a
    /// sandbox project holding several teams' resources): what their resources are like says less of any key.
    public var shared: Set<String>

    public init(values: [String: [String: AgreedValue]] = [:], records: [String: [AgreedValue?]] = [:],
                reliability: [String: AgreedValue] = [:], shared: Set<String> = []) {
        self.values = values
        self.records = records
        self.reliability = reliability
        self.shared = shared
    }

    enum CodingKeys: String, CodingKey { case values, records, reliability, shared }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        values = try c.decode([String: [String: AgreedValue]].self, forKey: .values)
        records = try c.decode([String: [AgreedValue?]].self, forKey: .records)
        reliability = try c.decode([String: AgreedValue].self, forKey: .reliability)
        // Models stored before shared accounts were told apart know none until retrained.
        shared = try c.decodeIfPresent(Set<String>.self, forKey: .shared) ?? []
    }

    /// Lower edges of the support buckets (an account's tagged resources with the key); the last is open.
    static let supportEdges = [3, 5, 10, 20]
    /// An account whose tagged resources agree less often than this says nothing: it is shared, or its tags are.
    static let minimumAgreement = 0.95
    /// A key whose tagged resources have their account's most common value less often than this is not one the
    /// estate's accounts say (an account holds several applications, or two environments), however well the
    /// held-out record looks: deployments of one application split into several held-out groups.
    static let minimumReliability = 0.9
    /// An account fewer of whose resources than this have the key tagged says nothing of the rest. A shared
    /// account (a platform subscription, a sandbox project) holds many teams' resources, and when one team tags
    /// a handful of them they agree on that team: on tuning estates (seeds 8830-8841) such team values were right
    /// 12-42% of the time under 5% tagged, and on 311 of 311 resources at 5-10%. The held-out record cannot see
    /// it: one team's handful is one deployment, never judged by another. (At 5-10% one shared account's cost
    /// centre, five of one team's resources, was wrong on 24 of 57: its team tags disagree, see `learn`.)
    static let minimumCoverage = 0.05
    /// A bucket with fewer judged resources says nothing.
    static let minimumJudged = 50
    /// Below this confidence an account's value is not kept (see `TellingWords.minimumConfidence`).
    static let minimumConfidence = 0.7

    static func bucket(_ support: Int) -> Int? { supportEdges.lastIndex { support >= $0 } }

    /// Learns from a training set's labels (after relabelling), its examples' accounts and deployment folds.
    static func learn(_ set: TrainingSet) -> AccountValues {
        let folds = set.folds
        var values: [String: [String: AgreedValue]] = [:]
        var records: [String: [AgreedValue?]] = [:]
        var reliabilities: [String: AgreedValue] = [:]
        // Account number -> its resources, tagged or not.
        var sizes = [Int](repeating: 0, count: set.accountNames.count)
        for a in set.accounts { sizes[Int(a)] += 1 }
        struct Agreed {
            var key: String
            var account: Int32
            var value: AgreedValue
        }
        var agreed: [Agreed] = []
        var mixed = Set<Int32>()
        for (k, key) in set.keys.enumerated() {
            // Labels folded (`Payments`, `payments`), and a value written with a neutral suffix counted as its base.
            let folded = set.values[k].map(Fold.fold)
            var numberOf: [String: Int] = [:]
            for f in folded where numberOf[f] == nil { numberOf[f] = numberOf.count }
            var base = folded.map { numberOf[$0]! }
            for (i, f) in folded.enumerated() {
                if let b = KeyDependencies.sameValueSuffixes.lazy.compactMap({ s -> Int? in
                    f.hasSuffix(s) && f.count > s.count + 2 ? numberOf[String(f.dropLast(s.count))] : nil
                }).first { base[i] = b }
            }
            // Account -> value -> count per deployment fold.
            var counts: [Int32: [Int: [Int]]] = [:]
            // Value number -> the label written most often for it (the form to imply).
            var written: [Int: [Int32: Int]] = [:]
            for (i, label) in set.labels[k].enumerated() where label >= 0 {
                let v = base[Int(label)]
                counts[set.accounts[i], default: [:]][v, default: [Int](repeating: 0, count: folds)][Int(set.groupFolds[i])] += 1
                written[v, default: [:]][label, default: 0] += 1
            }
            var usual = 0, all = 0
            for byValue in counts.values {
                let totals = byValue.values.map { $0.reduce(0, +) }
                let n = totals.reduce(0, +)
                guard n >= supportEdges[0] else { continue }
                usual += totals.max()!
                all += n
            }
            guard all > 0, Double(usual) >= minimumReliability * Double(all) else { continue }
            reliabilities[key] = AgreedValue(value: key, agreeing: usual, resources: all,
                                             confidence: IsotonicCalibration.wilsonLower(correct: Double(usual), of: Double(all)))
            // The record: each labelled resource judged by its account's labelled resources of the other folds.
            let tally = HeldOutAgreement.measure(counts.values, folds: folds, buckets: supportEdges.count) { n, agreeing in
                Double(agreeing) >= minimumAgreement * Double(n) ? bucket(n) : nil
            }
            let record: [AgreedValue?] = supportEdges.indices.map { b in
                guard tally.judged[b] >= minimumJudged else { return nil }
                return AgreedValue(value: String(supportEdges[b]), agreeing: tally.agreeing[b], resources: tally.judged[b],
                                   confidence: IsotonicCalibration.wilsonLower(correct: Double(tally.agreeing[b]), of: Double(tally.judged[b])))
            }
            guard record.contains(where: { ($0?.confidence ?? 0) >= minimumConfidence }) else { continue }
            records[key] = record
            for (account, byValue) in counts {
                let totals = byValue.mapValues { $0.reduce(0, +) }
                let n = totals.values.reduce(0, +)
                guard let top = totals.max(by: { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }) else { continue }
                guard Double(top.value) >= minimumAgreement * Double(n) else {
                    if n >= supportEdges[0] { mixed.insert(account) }
                    continue
                }
                guard Double(n) >= minimumCoverage * Double(sizes[Int(account)]), let b = bucket(n), let r = record[b],
                      r.confidence >= minimumConfidence,
                      let label = written[top.key]?.max(by: { a, b in a.value != b.value ? a.value < b.value : a.key > b.key })?.key
                else { continue }
                agreed.append(Agreed(key: key, account: account, value: AgreedValue(
                    value: set.values[k][Int(label)], agreeing: top.value, resources: n, confidence: r.confidence)))
            }
        }
        // An account whose tagged resources disagree on one key the estate's accounts say is shared: its
        // resources' agreement on another key is one team's (a cost centre five of one team's resources carry).
        for a in agreed where !mixed.contains(a.account) { values[a.key, default: [:]][set.accountNames[Int(a.account)]] = a.value }
        return AccountValues(values: values, records: records, reliability: reliabilities,
                             shared: Set(mixed.map { set.accountNames[Int($0)] }))
    }

    /// The value the account's tagged resources agree on for `key`, with its support's record; nil when they do
    /// not agree, are too few, or the estate's accounts do not say the key.
    func implied(key: String, account: String?) -> Implication? {
        guard let account, let found = values[key]?[account], let b = Self.bucket(found.resources),
              let record = records[key]?[b]
        else { return nil }
        return Implication(account: account, found: found, record: record)
    }

    struct Implication {
        var account: String
        var found: AgreedValue
        var record: AgreedValue

        func reason(key: String) -> String {
            let upper = AccountValues.supportEdges.first { $0 > found.resources }.map { "-\($0 - 1)" } ?? " or more"
            return "account \(account)'s tagged resources have \(key)=\(found.value) on \(found.agreeing) of \(found.resources); "
                + "an account's agreed \(key) was right on \(record.agreeing) of \(record.resources) tagged resources of other "
                + "deployments (accounts with \(record.value)\(upper) tagged)"
        }
    }
}
