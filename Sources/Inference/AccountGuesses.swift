/// A model guess that no word of the resource's name and none of its tags points at rests on where the
/// resource lives: its account (with its region and type). The held-out predictions the calibration is fitted
/// on rarely look like that, and the resources inference fills often do: a readable name the model cannot
/// read (an application nobody tagged, `catalog-stock-stage-uploads` in an account of `catalog-api`), an
/// account holding several teams' workloads. Such guesses are worth what an account is worth: on tuning
/// estates `application` ones were right about 40% at every confidence from 0.3 to 1 (the account names the
/// team, not which of its applications), `team` ones 95-100%. So their confidence is capped at how often an
/// account's most common value of the key is a tagged resource's own, each resource left out of its
/// account's count (the lower bound, Wilson 95%): the key's record, measured on the estate.
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

    init(_ model: TagModel) {
        let shared = model.accountValues.shared
        records = model.keys.compactMapValues { Self.record($0) { !shared.contains(String($0)) } }
        sharedRecords = shared.isEmpty ? [:] : model.keys.compactMapValues { Self.record($0) { shared.contains(String($0)) } }
        self.shared = shared
    }

    init(records: [String: Record], sharedRecords: [String: Record] = [:], shared: Set<String> = []) {
        self.records = records
        self.sharedRecords = sharedRecords
        self.shared = shared
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

    /// `guess` with its confidence capped at the key's record, and the reason saying so; nil when the record
    /// does not lower it.
    func capped(_ guess: InferredTag, account: String?, thresholds: Thresholds) -> InferredTag? {
        let isShared = account.map { shared.contains($0) } ?? false
        guard let r = (isShared ? sharedRecords : records)[guess.key], guess.confidence > r.confidence else { return nil }
        var out = guess
        out.confidence = r.confidence
        out.decision = thresholds.decision(for: r.confidence)
        out.reason += "; doubted: no word of its name and no tag points at \(guess.key)=\(guess.value), and "
            + (isShared ? "in shared accounts (their tagged resources disagree) " : "")
            + "an account's most common \(guess.key) was its other tagged resources' on \(r.agreeing) of \(r.resources)"
        return out
    }
}
