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
///
/// A team whose own names held less often than the estate's is judged by its own record: a team with an application of
/// its own name writes that application's names `checkout-api-prod-01`, where the slot holds a role (seed 10092: `api`,
/// `worker`, `alb` for `checkout`, 76 right none at 0.84).
public struct NameSlots: Codable, Sendable, Hashable {
    /// How often the slot's words were the resource's own application (`value` names the slot).
    public var record: AgreedValue?
    /// Team (its name's words joined with `-`) -> how often the slot held on its resources, for the teams whose names
    /// held less often than `record` says.
    public var teamRecords: [String: AgreedValue]

    public init(record: AgreedValue? = nil, teamRecords: [String: AgreedValue] = [:]) {
        self.record = record
        self.teamRecords = teamRecords
    }

    enum CodingKeys: String, CodingKey { case record, teamRecords }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        record = try c.decodeIfPresent(AgreedValue.self, forKey: .record)
        teamRecords = try c.decodeIfPresent([String: AgreedValue].self, forKey: .teamRecords) ?? [:]
    }

    /// Fewer resources with a slot and the record says nothing.
    static let minimumResources = 30
    /// A team with fewer resources with a slot is judged by the estate's record.
    static let minimumTeamResources = 10
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
        slot(words, teams: teams, envWords: envWords, known: known, excluding: excluding)?.application
    }

    /// The application a name's slot holds, and the team whose name comes before it.
    struct Slot {
        var application: String
        /// The team's name's words joined with `-`.
        var team: String
    }

    /// `candidate`, with the team.
    static func slot(_ words: [String], teams: [[String]], envWords: Set<String>, known: Set<String>,
                     excluding: String? = nil) -> Slot? {
        for team in teams where !team.isEmpty && team.count < words.count {
            guard let start = (0...(words.count - team.count)).first(where: { Array(words[$0..<($0 + team.count)]) == team })
            else { continue }
            let from = start + team.count
            guard let end = words[from...].firstIndex(where: envWords.contains), end > from else { continue }
            let slot = words[from..<end]
            if slot.allSatisfy(ValueVocabulary.neutralSuffixes.contains) { return nil }
            let prefix = Fold.fold((team + [slot.first!]).joined())
            if known.contains(where: { $0 != excluding && $0.hasPrefix(prefix) }) { return nil }
            return Slot(application: slot.joined(separator: "-"), team: team.joined(separator: "-"))
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
        let teamRecords: [String: AgreedValue]
        let teams: [[String]]
        let known: Set<String>
        let envWords: Set<String>

        init?(_ model: TagModel, tables: NormalisationTables) {
            guard let record = model.nameSlots.record, let teams = model.keys[NameSlots.teamKey]?.values else { return nil }
            self.record = record
            self.teamRecords = model.nameSlots.teamRecords
            self.teams = NameSlots.ordered(Set(teams.map(NameTokenizer.tokens)))
            self.known = Set((model.keys[NameSlots.applicationKey]?.values ?? []).map(Fold.fold))
            self.envWords = NameSlots.envWords(tables)
        }

        /// The application `words` put in the slot, if any, with the record it is judged by.
        func application(_ words: [String]) -> Read? {
            guard let slot = NameSlots.slot(words, teams: teams, envWords: envWords, known: known) else { return nil }
            if let own = teamRecords[slot.team] {
                return own.confidence >= NameSlots.minimumConfidence ? Read(value: slot.application, record: own, team: slot.team) : nil
            }
            return Read(value: slot.application, record: record, team: nil)
        }

        /// An application read in a name, and the record it is judged by (`team`: the team's own).
        struct Read {
            var value: String
            var record: AgreedValue
            var team: String?

            var reason: String {
                "the name puts application=\(value) between its team and its environment, where the "
                    + (team.map { "names of team \($0)" } ?? "estate's names") + " put the application: right on "
                    + "\(record.agreeing) of \(record.resources) tagged resources, each judged as if its application were one nobody tagged"
            }
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
        // Team -> (agreeing, resources).
        var byTeam: [String: (agreeing: Int, resources: Int)] = [:]
        for (name, tags) in zip(names, known) {
            guard let name, let application = tags[applicationKey] else { continue }
            let w = lexicon.tokens(name)
            let folded = Fold.fold(application)
            guard let c = slot(w, teams: ordered, envWords: envWords, known: applications, excluding: folded) else { continue }
            let held = Fold.fold(c.application) == folded
            resources += 1
            if held { agreeing += 1 }
            byTeam[c.team, default: (0, 0)].resources += 1
            if held { byTeam[c.team, default: (0, 0)].agreeing += 1 }
        }
        guard resources >= minimumResources else { return NameSlots() }
        let confidence = IsotonicCalibration.wilsonLower(correct: Double(agreeing), of: Double(resources))
        guard confidence >= minimumConfidence else { return NameSlots() }
        var teamRecords: [String: AgreedValue] = [:]
        for (team, t) in byTeam where t.resources >= minimumTeamResources {
            let own = IsotonicCalibration.wilsonLower(correct: Double(t.agreeing), of: Double(t.resources))
            if own < confidence {
                teamRecords[team] = AgreedValue(value: team, agreeing: t.agreeing, resources: t.resources, confidence: own)
            }
        }
        return NameSlots(record: AgreedValue(value: "between the team and the environment", agreeing: agreeing,
                                             resources: resources, confidence: confidence), teamRecords: teamRecords)
    }
}
