import Foundation

/// Naive Bayes over resource features for one key: counts of each feature per value, and a calibration
/// fitted on held-out folds. Confidence = calibration(margin), where margin is the log-likelihood gap
/// between the best and second-best value (naive Bayes posteriors are overconfident; the gap ranks well).
public struct KeyModel: Sendable {
    public struct Posting: Sendable, Hashable {
        public var value: Int32
        public var count: Float
    }

    /// The values seen for the key, indexed by `Posting.value`.
    public internal(set) var values: [String]
    /// Examples learned per value.
    public internal(set) var docs: [Double]
    /// Feature occurrences learned per value.
    public internal(set) var totals: [Double]
    public internal(set) var featureNames: [String]
    var featureIndex: [String: Int32]
    var valueIndex: [String: Int32]
    /// Per feature, the values it was seen with and how often.
    var postings: [[Posting]]
    /// `log1p(count / smoothing)` of each posting, what a feature adds to its value's score: computed once
    /// (and kept in step by `learn`) instead of once per feature per prediction.
    var postingWeights: [[Double]]
    /// `log(totals[value] + vocabulary)`, the per-value normaliser of `rank`, kept in step with `totals` and
    /// the feature count (so a prediction takes no logarithm per value).
    var logTotals: [Double]
    /// Calibration per evidence group (see `EvidenceGroup`), and over all groups for sparse ones.
    public internal(set) var calibrations: [IsotonicCalibration]
    public internal(set) var pooled: IsotonicCalibration
    /// Calibration of the held-out guesses no name word or tag points at (see `AccountGuesses`).
    public internal(set) var accountGuesses: IsotonicCalibration
    /// Whether a feature identifies owners (account, name words, tags) rather than describing the kind of resource.
    var informative: [Bool]
    /// Features seen with many of the values (provider, type, region, common words) carry most postings:
    /// theirs also as rows indexed by value (see `DenseRows`). Empty after `learn` changes counts: `rank` and
    /// `evidence` then read every feature's postings, as they would without rows.
    var dense: DenseRows
    /// `postings` and `postingWeights` laid end to end (see `FlatPostings`); empty after `learn` changes counts.
    var flat: FlatPostings

    /// Every feature's postings and weights in two contiguous arrays, feature `fi`'s at `starts[fi]..<starts[fi + 1]`:
    /// a prediction reads a dozen features' postings, and a list of its own per feature is one more cache miss
    /// each (the list's header) before its first posting.
    struct FlatPostings: Sendable {
        var starts: [Int] = []
        var postings: [Posting] = []
        var weights: [Double] = []

        init() {}

        init(_ lists: [[Posting]], weights lists2: [[Double]]) {
            starts.reserveCapacity(lists.count + 1)
            for (list, w) in zip(lists, lists2) {
                starts.append(postings.count)
                postings.append(contentsOf: list)
                weights.append(contentsOf: w)
            }
            starts.append(postings.count)
        }
    }

    /// Feature `fi`'s postings and their weights, in order, read in place.
    @inline(__always)
    func withPostings<R>(_ fi: Int32, _ body: (UnsafeBufferPointer<Posting>, UnsafeBufferPointer<Double>) -> R) -> R {
        let f = Int(fi)
        guard !flat.starts.isEmpty else {
            return postings[f].withUnsafeBufferPointer { p in postingWeights[f].withUnsafeBufferPointer { w in body(p, w) } }
        }
        let range = flat.starts[f]..<flat.starts[f + 1]
        return flat.postings.withUnsafeBufferPointer { p in
            flat.weights.withUnsafeBufferPointer { w in
                body(UnsafeBufferPointer(rebasing: p[range]), UnsafeBufferPointer(rebasing: w[range]))
            }
        }
    }

    /// The postings of the features seen with at least a quarter of the values (of eight or more), as rows
    /// indexed by value: `rank` adds a row's weights in one vector pass instead of scattering its postings
    /// (a value the feature lacks weighs 0, and adding 0 changes no score), and reads a value's count and the
    /// feature's total without a search. Totals are summed in posting order, as the postings' readers sum them.
    struct DenseRows: Sendable {
        /// Per feature its row, -1 for none.
        var rows: [Int32] = []
        /// Per row and value (`row * values + value`): the posting's weight and count, 0 where there is none.
        var weights: [Double] = []
        var counts: [Float] = []
        /// Per row, the sum of the counts as `rank` (Float) and `evidence` (Double) add them.
        var totals: [Float] = []
        var wideTotals: [Double] = []

        init() {}

        init(_ postings: [[Posting]], weights postingWeights: [[Double]], values: Int) {
            guard values >= 8 else { return }
            rows = [Int32](repeating: -1, count: postings.count)
            for (fi, list) in postings.enumerated() where list.count * 4 >= values {
                rows[fi] = Int32(totals.count)
                let base = weights.count
                weights.append(contentsOf: repeatElement(0, count: values))
                counts.append(contentsOf: repeatElement(0, count: values))
                var total: Float = 0, wide = 0.0
                for (j, p) in list.enumerated() {
                    if p.count > 0 { weights[base + Int(p.value)] = postingWeights[fi][j] }
                    counts[base + Int(p.value)] = p.count
                    total += p.count
                    wide += Double(p.count)
                }
                totals.append(total)
                wideTotals.append(wide)
            }
        }

        /// Feature `fi`'s row, nil when it has none.
        @inline(__always) func row(of fi: Int32) -> Int? {
            guard !rows.isEmpty, rows[Int(fi)] >= 0 else { return nil }
            return Int(rows[Int(fi)])
        }
    }

    static let smoothing = 0.5
    /// How much the share of each value in the learned examples counts. The resources without a value are
    /// not a random sample (teams that never tag have few examples), so the learned shares mislead.
    static let priorWeight = 0.0

    init(values: [String], docs: [Double], totals: [Double], featureNames: [String], postings: [[Posting]],
         calibrations: [IsotonicCalibration], pooled: IsotonicCalibration,
         accountGuesses: IsotonicCalibration = IsotonicCalibration()) {
        self.values = values
        self.docs = docs
        self.totals = totals
        self.featureNames = featureNames
        self.postings = postings
        self.postingWeights = postings.map { $0.map(Self.weight) }
        self.logTotals = Self.logTotals(totals, features: featureNames.count)
        self.calibrations = calibrations
        self.pooled = pooled
        self.accountGuesses = accountGuesses
        self.informative = featureNames.map(EvidenceGroup.isInformative)
        self.dense = DenseRows(postings, weights: postingWeights, values: values.count)
        self.flat = FlatPostings(postings, weights: postingWeights)
        self.featureIndex = Dictionary(uniqueKeysWithValues: featureNames.enumerated().map { ($1, Int32($0)) })
        self.valueIndex = Dictionary(uniqueKeysWithValues: values.enumerated().map { ($1, Int32($0)) })
    }

    public var exampleCount: Double { docs.reduce(0, +) }

    /// What a posting of `count` adds to its value's score (0 when the count is not positive: no evidence).
    static func weight(_ p: Posting) -> Double { p.count > 0 ? log1p(Double(p.count) / smoothing) : 0 }

    static func vocabulary(features: Int) -> Double { Double(max(features, 1)) * smoothing }

    /// See `logTotals`.
    static func logTotals(_ totals: [Double], features: Int) -> [Double] {
        let vocab = vocabulary(features: features)
        return totals.map { log($0 + vocab) }
    }

    /// Adds (weight > 0) or removes (weight < 0, e.g. a denied suggestion) evidence that `features` go with `value`.
    /// Counts never drop below zero.
    mutating func learn(features: [String], value: String, weight: Double) {
        let featureCount = featureNames.count
        defer {
            // Only this value's total changed, unless a new feature changed the vocabulary.
            if featureNames.count != featureCount || logTotals.count != totals.count {
                logTotals = Self.logTotals(totals, features: featureNames.count)
            } else if let v = valueIndex[value] {
                logTotals[Int(v)] = log(totals[Int(v)] + Self.vocabulary(features: featureNames.count))
            }
        }
        let v: Int32
        if let existing = valueIndex[value] {
            v = existing
        } else {
            guard weight > 0 else { return }
            v = Int32(values.count)
            values.append(value); docs.append(0); totals.append(0)
            valueIndex[value] = v
        }
        docs[Int(v)] = max(0, docs[Int(v)] + weight)
        // The rows would need the changes below: dropped until the next training (predictions read postings).
        if !dense.rows.isEmpty { dense = DenseRows() }
        if !flat.starts.isEmpty { flat = FlatPostings() }
        for f in features {
            let fi: Int32
            if let existing = featureIndex[f] {
                fi = existing
            } else {
                guard weight > 0 else { continue }
                fi = Int32(featureNames.count)
                featureNames.append(f); postings.append([]); postingWeights.append([]); informative.append(EvidenceGroup.isInformative(f))
                featureIndex[f] = fi
            }
            if let p = postings[Int(fi)].firstIndex(where: { $0.value == v }) {
                let before = Double(postings[Int(fi)][p].count)
                let after = max(0, before + weight)
                postings[Int(fi)][p].count = Float(after)
                postingWeights[Int(fi)][p] = Self.weight(postings[Int(fi)][p])
                totals[Int(v)] += after - before
            } else if weight > 0 {
                postings[Int(fi)].append(Posting(value: v, count: Float(weight)))
                postingWeights[Int(fi)].append(Self.weight(postings[Int(fi)].last!))
                totals[Int(v)] += weight
            }
        }
    }

    /// Best and second-best value for `features` (raw naive Bayes scores), skipping `excluded` values.
    struct Ranking {
        var best: Int
        var margin: Double
        var known: Int
        /// How exclusively the best value's most telling informative feature points at it (see `EvidenceGroup`).
        var support: Double = 0
        /// Informative features the model has never seen (an unknown account, words no learned name had).
        var unknown: Int = 0
        /// How exclusively the best value's most telling name word or tag points at it: what the resource says
        /// of itself, apart from where it lives (0 when neither points at it; see `AccountGuesses`).
        var ownPurity: Double = 0
    }

    /// `opaqueName`: the resource's name carries a generated id (one more unknown piece of evidence).
    func rank(_ features: [String], opaqueName: Bool = false, excluded: Set<String> = []) -> Ranking? {
        rank(ids: features.map { featureIndex[$0] ?? -1 }, features, opaqueName: opaqueName, excluded: excluded)
    }

    /// `ids`: each feature's index in `featureNames`, -1 when the model has never seen it.
    func rank(ids: [Int32], _ features: [String], opaqueName: Bool = false, excluded: Set<String> = []) -> Ranking? {
        var scores = [Double](repeating: 0, count: values.count)
        var known = 0, unknown = opaqueName ? 1 : 0
        var informativeKnown: [Int32] = []
        // By position: a feature's string is read only when the model has not seen it (no String copied per feature).
        for (f, fi) in ids.enumerated() {
            guard fi >= 0 else {
                if EvidenceGroup.isInformative(features[f]) { unknown += 1 }
                continue
            }
            known += 1
            if informative[Int(fi)] { informativeKnown.append(fi) }
            if let row = dense.row(of: fi) {
                let n = scores.count
                // Through base pointers, a loop the compiler vectorises; each value's sum is added in the same order.
                dense.weights.withUnsafeBufferPointer { weights in
                    scores.withUnsafeMutableBufferPointer { scores in
                        let from = weights.baseAddress! + row * n, to = scores.baseAddress!
                        for c in 0..<n { to[c] += from[c] }
                    }
                }
                continue
            }
            withPostings(fi) { postings, weights in
                for j in postings.indices where postings[j].count > 0 {
                    scores[Int(postings[j].value)] += weights[j]
                }
            }
        }
        var r = Self.rank(scores: &scores, known: known, docs: docs, logTotals: logTotals, values: values, excluded: excluded)
        if let best = r?.best {
            var support = 0.0, ownPurity = 0.0
            for fi in informativeKnown {
                var mine: Float = 0, all: Float = 0
                if let row = dense.row(of: fi) {
                    mine = dense.counts[row * values.count + best]
                    all = dense.totals[row]
                } else {
                    withPostings(fi) { postings, _ in
                        for p in postings {
                            all += p.count
                            if Int(p.value) == best { mine = p.count }
                        }
                    }
                }
                let purity = EvidenceGroup.purity(mine: Double(mine), all: Double(all))
                support = max(support, purity)
                if EvidenceGroup.isOwn(featureNames[Int(fi)]) { ownPurity = max(ownPurity, purity) }
            }
            r?.support = support
            r?.ownPurity = ownPurity
            r?.unknown = unknown
        }
        return r
    }

    /// The calibrated confidence of a ranking: for a guess no name word or tag points at, no more than such
    /// held-out guesses were right (when there were enough of them).
    func confidence(_ r: Ranking, hasTags: Bool) -> Double {
        let g = EvidenceGroup.index(hasTags: hasTags, unknown: r.unknown)
        let c = g < calibrations.count && calibrations[g].examples >= EvidenceGroup.minimumExamples ? calibrations[g] : pooled
        let score = EvidenceGroup.score(margin: r.margin, purity: r.support)
        let confidence = c.confidence(score)
        guard r.ownPurity < AccountGuesses.ownEvidence, accountGuesses.examples >= EvidenceGroup.minimumExamples else { return confidence }
        return min(confidence, accountGuesses.confidence(score))
    }

    /// Adds priors and per-value normalisers to the feature scores and picks the best two values.
    /// `logTotals`: see `KeyModel.logTotals`, for the totals the scores were counted against.
    static func rank(scores: inout [Double], known: Int, docs: [Double], logTotals: [Double],
                     values: [String], excluded: Set<String>) -> Ranking? {
        // The examples' total only weighs in with a prior.
        let n = priorWeight == 0 ? 0 : docs.reduce(0, +)
        let classes = Double(values.count)
        var best = -1, second = -1
        // The best two scores kept at hand (they equal `scores[best]` and `scores[second]`), the arrays read
        // through base pointers: training ranks every held-out example over every value.
        var bestScore = 0.0, secondScore = 0.0
        let count = scores.count
        precondition(docs.count >= count && logTotals.count >= count, "a score per value")
        let knownWeight = Double(known)
        scores.withUnsafeMutableBufferPointer { scores in
            docs.withUnsafeBufferPointer { docs in
                logTotals.withUnsafeBufferPointer { logTotals in
                    for c in 0..<count {
                        if docs[c] <= 0 { continue }
                        if !excluded.isEmpty, excluded.contains(values[c]) { continue }
                        // With no prior weight the prior adds a zero: its logarithm is not taken (the sum is the same).
                        let prior = priorWeight == 0 ? 0 : priorWeight * log((docs[c] + 1) / (n + classes))
                        let s = scores[c] + prior - knownWeight * logTotals[c]
                        scores[c] = s
                        if best < 0 || s > bestScore {
                            second = best
                            secondScore = bestScore
                            best = c
                            bestScore = s
                        } else if second < 0 || s > secondScore {
                            second = c
                            secondScore = s
                        }
                    }
                }
            }
        }
        guard best >= 0 else { return nil }
        let margin = second >= 0 ? bestScore - secondScore : 50
        return Ranking(best: best, margin: margin, known: known)
    }

    /// The features that pulled most towards `value` (for the reason), strongest first.
    func evidence(_ features: [String], value: Int, limit: Int = 3) -> [String] {
        evidence(ids: features.map { featureIndex[$0] ?? -1 }, features, value: value, limit: limit)
    }

    /// `ids` as for `rank(ids:_:opaqueName:excluded:)`.
    func evidence(ids: [Int32], _ features: [String], value: Int, limit: Int = 3) -> [String] {
        // The best `limit` kept in order as they are found (by score, then name), by position in `features`:
        // a prediction has a dozen features and needs three, so nothing else is copied or sorted.
        var best: [(feature: Int, score: Double)] = []
        best.reserveCapacity(limit + 1)
        for (f, fi) in ids.enumerated() {
            guard fi >= 0 else { continue }
            var mine = 0.0, all = 0.0
            if let row = dense.row(of: fi) {
                mine = Double(dense.counts[row * values.count + value])
                all = dense.wideTotals[row]
            } else {
                withPostings(fi) { postings, _ in
                    for p in postings {
                        all += Double(p.count)
                        if Int(p.value) == value { mine = Double(p.count) }
                    }
                }
            }
            guard mine > 0 else { continue }
            let score = mine / all + mine / 1e6
            var at = best.count
            while at > 0, score != best[at - 1].score ? score > best[at - 1].score : features[f] < features[best[at - 1].feature] {
                at -= 1
            }
            guard at < limit else { continue }
            best.insert((f, score), at: at)
            if best.count > limit { best.removeLast() }
        }
        return best.map { features[$0.feature] }
    }
}

extension KeyModel: Codable {
    // Compact on the wire: postings flattened into parallel arrays, counts as integers where whole.
    enum CodingKeys: String, CodingKey {
        case values, docs, totals, features, postingStarts, postingValues, postingCounts, calibrations, pooled, accountGuesses
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(values, forKey: .values)
        try c.encode(docs, forKey: .docs)
        try c.encode(totals, forKey: .totals)
        try c.encode(featureNames, forKey: .features)
        var starts: [Int] = []
        var vs: [Int32] = []
        var cs: [Float] = []
        starts.reserveCapacity(postings.count)
        for list in postings {
            starts.append(vs.count)
            for p in list { vs.append(p.value); cs.append(p.count) }
        }
        try c.encode(starts, forKey: .postingStarts)
        try c.encode(vs, forKey: .postingValues)
        try c.encode(cs, forKey: .postingCounts)
        try c.encode(calibrations, forKey: .calibrations)
        try c.encode(pooled, forKey: .pooled)
        try c.encode(accountGuesses, forKey: .accountGuesses)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let values = try c.decode([String].self, forKey: .values)
        let features = try c.decode([String].self, forKey: .features)
        let starts = try c.decode([Int].self, forKey: .postingStarts)
        let vs = try c.decode([Int32].self, forKey: .postingValues)
        let cs = try c.decode([Float].self, forKey: .postingCounts)
        let docs = try c.decode([Double].self, forKey: .docs)
        let totals = try c.decode([Double].self, forKey: .totals)
        guard starts.count == features.count, vs.count == cs.count, docs.count == values.count,
              totals.count == values.count, vs.allSatisfy({ $0 >= 0 && Int($0) < values.count }),
              zip(starts, starts.dropFirst() + [vs.count]).allSatisfy({ $0 <= $1 && $1 <= vs.count })
        else {
            throw DecodingError.dataCorruptedError(
                forKey: .postingStarts, in: c, debugDescription: "model postings are inconsistent; retrain the model")
        }
        var postings: [[Posting]] = []
        postings.reserveCapacity(features.count)
        for (i, s) in starts.enumerated() {
            let e = i + 1 < starts.count ? starts[i + 1] : vs.count
            postings.append((s..<e).map { Posting(value: vs[$0], count: cs[$0]) })
        }
        self.init(
            values: values, docs: docs, totals: totals, featureNames: features, postings: postings,
            calibrations: try c.decode([IsotonicCalibration].self, forKey: .calibrations),
            pooled: try c.decode(IsotonicCalibration.self, forKey: .pooled),
            accountGuesses: try c.decodeIfPresent(IsotonicCalibration.self, forKey: .accountGuesses) ?? IsotonicCalibration())
    }
}

/// Calibration is fitted separately for resources with and without other tags, and by how much of what
/// identifies them the model has never seen (an unknown account, unknown name words). Resources nobody
/// tagged are often such strangers, rarer among the tagged ones the calibration is fitted on; held-out folds
/// grouped by deployment produce strangers too, so each group's calibration knows what they are worth.
/// The score itself is the naive Bayes margin capped by how exclusively the best value's most telling
/// feature points at it.
enum EvidenceGroup {
    static let count = 8
    /// A group with fewer held-out predictions falls back to the pooled calibration.
    static let minimumExamples = 200

    /// Evidence = known informative features: account, name words and starts, word pairs, tags.
    static func isInformative(_ feature: String) -> Bool {
        let u = feature.utf8
        guard u.count > 2, u[u.index(after: u.startIndex)] == UInt8(ascii: ":") else { return false }
        switch u.first! {
        case UInt8(ascii: "a"), UInt8(ascii: "n"), UInt8(ascii: "w"), UInt8(ascii: "f"), UInt8(ascii: "b"), UInt8(ascii: "g"):
            return true
        default: return false
        }
    }

    /// What the resource says of itself: its name's words, start and word pairs, and its other tags (not its
    /// account, region, type or provider).
    static func isOwn(_ feature: String) -> Bool {
        let u = feature.utf8
        guard u.count > 2, u[u.index(after: u.startIndex)] == UInt8(ascii: ":") else { return false }
        switch u.first! {
        case UInt8(ascii: "w"), UInt8(ascii: "f"), UInt8(ascii: "b"), UInt8(ascii: "g"): return true
        default: return false
        }
    }

    static func index(hasTags: Bool, unknown: Int) -> Int {
        (hasTags ? 4 : 0) + min(unknown, 3)
    }

    /// The calibrated score: the naive Bayes margin, capped by the log-odds of the purity of the best
    /// value's most telling feature (naive Bayes adds up weak, correlated hints into a large margin).
    static func score(margin: Double, purity: Double) -> Double {
        let p = min(max(purity, 1e-6), 1 - 1e-6)
        return min(margin, log(p / (1 - p)))
    }

    /// Share of a feature's examples that have the value, shrunk for features seen a few times.
    static func purity(mine: Double, all: Double) -> Double { mine / (all + 2) }
}
