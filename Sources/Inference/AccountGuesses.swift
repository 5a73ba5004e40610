/// A model guess that no word of the resource's name and none of its tags points at rests on where the
/// resource lives: its account (with its region and type). The held-out predictions the calibration is fitted
/// on rarely look like that, and the resources inference fills often do: a readable name the model cannot
/// read (an application nobody tagged, `catalog-stock-stage-uploads` in an account of `catalog-api`), an
/// account holding several teams' workloads. Such guesses are worth what an account is worth: on tuning
/// estates `application` ones were right about 40% at every confidence from 0.3 to 1 (the account names the
/// team, not which of its applications), `team` ones 95-100%. So their confidence is capped at how often an
/// account's most common value of the key is a tagged resource's own, each resource left out of its
/// account's count (the lower bound, Wilson 95%): the key's record, measured on the estate.
///
/// The record pools the estate's accounts. A guess of the most common value of an account whose tagged resources
/// disagree on the key is also held at the lower bound (Wilson, 95%) of the share of them that carry the value: the
/// untagged resources of an account are, if anything, less like its tagged ones (teams that never tag work in the
/// same shared accounts).
/// Pooled calibrations put a whole account's guesses at one confidence: on seed 8101, 58 guesses of
/// `cost-center=CC-63621` in an account whose tagged resources had it on 21 of 41 sat at 0.6-0.65 and were right 29%
/// of the time, enough to make the bucket short on their own. On seed 8842 such guesses were right 3-72% by key.
public struct AccountGuesses: Sendable, Hashable {
    /// How often, on the key's tagged resources, the most common value of the account's other tagged resources
    /// is the resource's own.
    public struct Record: Sendable, Hashable {
        public var agreeing: Int
        public var resources: Int
        public var confidence: Double
    }

    /// A name word or tag whose resources have the value this often (`EvidenceGroup.purity`) points at it.
    static let ownEvidence = 0.6

    /// Key -> its record over the accounts not shared; none for a key no such account has two tagged resources of.
    public var records: [String: Record]
    /// Key -> its record over the shared accounts (`AccountValues.shared`), whose guesses are capped by it.
    public var sharedRecords: [String: Record]
    /// The accounts whose tagged resources disagree on a key the estate's accounts say.
    public var shared: Set<String>
    /// Key -> account -> its tagged resources' values of the key.
    public var accountShares: [String: [String: AccountShare]]

    /// How many of an account's tagged resources carry each value of a key.
    public struct AccountShare: Sendable, Hashable {
        /// Folded value -> resources.
        public var counts: [String: Int]
        public var resources: Int
    }

    init(_ model: TagModel) {
        let shared = model.accountValues.shared
        records = model.keys.compactMapValues { Self.record($0) { !shared.contains(String($0)) } }
        sharedRecords = shared.isEmpty ? [:] : model.keys.compactMapValues { Self.record($0) { shared.contains(String($0)) } }
        self.shared = shared
        accountShares = model.keys.mapValues(Self.shares)
    }

    init(records: [String: Record], sharedRecords: [String: Record] = [:], shared: Set<String> = [],
         accountShares: [String: [String: AccountShare]] = [:]) {
        self.records = records
        self.sharedRecords = sharedRecords
        self.shared = shared
        self.accountShares = accountShares
    }

    /// Each account's tagged resources by value, from its account feature's postings.
    static func shares(_ model: KeyModel) -> [String: AccountShare] {
        var out: [String: AccountShare] = [:]
        for (fi, name) in model.featureNames.enumerated() where name.hasPrefix("a:") {
            var counts: [String: Int] = [:]
            var resources = 0
            for p in model.postings[fi] {
                let n = Int(p.count.rounded())
                guard n > 0 else { continue }
                counts[Fold.fold(model.values[Int(p.value)]), default: 0] += n
                resources += n
            }
            if resources > 0 { out[String(name.dropFirst(2))] = AccountShare(counts: counts, resources: resources) }
        }
        return out
    }

    /// From the account features' postings of the accounts `counted` keeps: each tagged resource counts once
    /// with its account's feature.
    static func record(_ model: KeyModel, counted: (Substring) -> Bool = { _ in true }) -> Record? {
        var agreeing = 0, resources = 0
        for (fi, name) in model.featureNames.enumerated() where name.hasPrefix("a:") && counted(name.dropFirst(2)) {
            let counts = model.postings[fi].map { Int($0.count.rounded()) }.filter { $0 > 0 }
            let total = counts.reduce(0, +)
            guard total >= 2 else { continue }
            resources += total
            // Left out, a resource of value v sees v's count one lower: right when that still beats every other
            // value (a tie is a guess, counted wrong).
            let sorted = counts.sorted(by: >)
            if sorted[0] - 1 > (sorted.count > 1 ? sorted[1] : 0) { agreeing += sorted[0] }
        }
        guard resources > 0 else { return nil }
        return Record(agreeing: agreeing, resources: resources,
                      confidence: IsotonicCalibration.wilsonLower(correct: Double(agreeing), of: Double(resources)))
    }

    /// `guess` with its confidence capped at the key's record and at its account's share of the value, and the
    /// reason saying so; nil when neither lowers it.
    func capped(_ guess: InferredTag, account: String?, thresholds: Thresholds) -> InferredTag? {
        let isShared = account.map { shared.contains($0) } ?? false
        let record = (isShared ? sharedRecords : records)[guess.key]
        let share = account.flatMap { accountShares[guess.key]?[$0] }
        let agreeing = share.map { $0.counts[Fold.fold(guess.value)] ?? 0 } ?? 0
        // Only the account's most common value rests on the account; another comes from the rest of the resource
        // (its region, type, a letter of its name) and its share says nothing of it. An account whose tagged resources
        // all carry the value is judged by the record of accounts like it: a small account's own bound (5 of 5: 0.65)
        // would doubt guesses that were right on 49 of 49 (cost centres, seed 8842).
        let shareCap = share.flatMap { s -> Double? in
            guard agreeing < s.resources, agreeing > 0, agreeing == s.counts.values.max() else { return nil }
            return IsotonicCalibration.wilsonLower(correct: Double(agreeing), of: Double(s.resources))
        }
        let cap = min(record?.confidence ?? 1, shareCap ?? 1)
        guard guess.confidence > cap else { return nil }
        var out = guess
        out.confidence = cap
        out.decision = thresholds.decision(for: cap)
        out.reason += "; doubted: no word of its name and no tag points at \(guess.key)=\(guess.value), and "
        if let r = record, r.confidence <= cap {
            out.reason += (isShared ? "in shared accounts (their tagged resources disagree) " : "")
                + "an account's most common \(guess.key) was its other tagged resources' on \(r.agreeing) of \(r.resources)"
        } else if let share {
            out.reason += "its account's tagged resources have it on \(agreeing) of \(share.resources)"
                + " (at least \(Int((cap * 100).rounded(.down)))%)"
        }
        return out
    }
}
