/// An application named where the estate's naming convention puts it, though no resource is tagged with it:
/// `catalog-stock-prd-web-01` is team `catalog`, application `stock`, environment `prd`. Naming guides build names
/// as `<team>-<workload>-<environment>-<role>`, so the words between a team's name and an environment word are the
/// application, known or not. Naive Bayes can only answer with a value some tagged resource had, and gave such
/// resources the one application of their team that was tagged (seed 8984: `catalog-api` for `stock` and
/// `images`, right 14% at 0.8-0.9).
///
/// How often the slot held is measured on the tagged resources, each judged as if its application were one
/// nobody tagged (the known values the rule checks against are the others); its confidence is the lower bound
/// (Wilson, one-sided 95%) of that record.
public struct NameSlots: Codable, Sendable, Hashable {
    /// How often the slot's words were the resource's own application (`value` names the slot).
    public var record: AgreedValue?

    public init(record: AgreedValue? = nil) { self.record = record }

    /// Fewer resources with a slot and the record says nothing.
    static let minimumResources = 30
    /// Below this confidence the slot is not kept (see `TellingWords.minimumConfidence`).
    static let minimumConfidence = 0.7
    /// The canonical keys the convention names.
    static let teamKey = "team", applicationKey = "application", envKey = "env"

    /// The application the name's words (`NameLexicon.tokens`, in order) put between a team's name (`teams`, each as
    /// its words) and an environment word (`envWords`), joined with `-`; nil when there is none, or when the team's
    /// name and the slot's first word begin a known application (`search-api-prod`: application `search-api`, whose
    /// name starts with its team's, not application `api` of team `search`), or when the slot is only words teams
    /// append without naming anything (`checkout-app-prod`: `checkout`'s application, whatever it is called, not
    /// `app`; seed 8976). `excluding`: a known application (folded) to count as unknown.
    static func candidate(_ words: [String], teams: [[String]], envWords: Set<String>, known: Set<String>,
                          excluding: String? = nil) -> String? {
        for team in teams where !team.isEmpty && team.count < words.count {
            guard let start = (0...(words.count - team.count)).first(where: { Array(words[$0..<($0 + team.count)]) == team })
            else { continue }
            let from = start + team.count
            guard let end = words[from...].firstIndex(where: envWords.contains), end > from else { continue }
            let slot = words[from..<end]
            if slot.allSatisfy(ValueVocabulary.neutralSuffixes.contains) { return nil }
            let prefix = Fold.fold((team + [slot.first!]).joined())
            if known.contains(where: { $0 != excluding && $0.hasPrefix(prefix) }) { return nil }
            return slot.joined(separator: "-")
        }
        return nil
    }

    /// Team names (as words) longer first, `data-platform` before a team `data`, in one order whatever the set's.
    static func ordered(_ teams: Set<[String]>) -> [[String]] {
        teams.sorted { $0.count != $1.count ? $0.count > $1.count : $0.lexicographicallyPrecedes($1) }
    }

    /// The words that name an environment: the normalisation tables' spellings of `env` values, folded.
    static func envWords(_ tables: NormalisationTables) -> Set<String> {
        let synonyms = tables.valueSynonyms[envKey] ?? [:]
        return Set(synonyms.keys.map(Fold.fold) + synonyms.values.map(Fold.fold))
    }

    /// What inference needs of the model to read a name's slot, built once per model: its team names as words
    /// (longest first), its known applications (folded) and the environment words.
    struct Reader: Sendable {
        let record: AgreedValue
        let teams: [[String]]
        let known: Set<String>
        let envWords: Set<String>

        init?(_ model: TagModel, tables: NormalisationTables) {
            guard let record = model.nameSlots.record, let teams = model.keys[NameSlots.teamKey]?.values else { return nil }
            self.record = record
            self.teams = NameSlots.ordered(Set(teams.map(NameTokenizer.tokens)))
            self.known = Set((model.keys[NameSlots.applicationKey]?.values ?? []).map(Fold.fold))
            self.envWords = NameSlots.envWords(tables)
        }

        /// The application `words` put in the slot, if any.
        func application(_ words: [String]) -> String? {
            NameSlots.candidate(words, teams: teams, envWords: envWords, known: known)
        }

        func reason(_ value: String) -> String {
            "the name puts application=\(value) between its team and its environment, where the estate's names put the "
                + "application: right on \(record.agreeing) of \(record.resources) tagged resources, each judged as if its "
                + "application were one nobody tagged"
        }
    }

    /// Learns the record from the estate's names (read into words by `lexicon`, one at a time) and known values.
    static func learn(names: some Sequence<String?>, lexicon: NameLexicon, known: [[String: String]], envWords: Set<String>) -> NameSlots {
        var teams = Set<[String]>()
        var applications = Set<String>()
        for tags in known {
            if let t = tags[teamKey] { teams.insert(NameTokenizer.tokens(t)) }
            if let a = tags[applicationKey] { applications.insert(Fold.fold(a)) }
        }
        let ordered = ordered(teams)
        var agreeing = 0, resources = 0
        for (name, tags) in zip(names, known) {
            guard let name, let application = tags[applicationKey] else { continue }
            let w = lexicon.tokens(name)
            let folded = Fold.fold(application)
            guard let c = candidate(w, teams: ordered, envWords: envWords, known: applications, excluding: folded) else { continue }
            resources += 1
            if Fold.fold(c) == folded { agreeing += 1 }
        }
        guard resources >= minimumResources else { return NameSlots() }
        let confidence = IsotonicCalibration.wilsonLower(correct: Double(agreeing), of: Double(resources))
        guard confidence >= minimumConfidence else { return NameSlots() }
        return NameSlots(record: AgreedValue(value: "between the team and the environment", agreeing: agreeing,
                                             resources: resources, confidence: confidence))
    }
}
