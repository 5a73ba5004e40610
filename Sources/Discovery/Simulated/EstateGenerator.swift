import TaggingAPI

/// One simulated cloud resource and the truth about it: the value of every required key
/// (`env`, `team`, `owner`, `cost-center`, `application`) whether or not its tags say so.
public struct SimulatedResource: Sendable, Hashable {
    public var spec: CloudResourceSpec
    public var truth: [String: String]

    public init(spec: CloudResourceSpec, truth: [String: String]) {
        self.spec = spec
        self.truth = truth
    }
}

/// A realistic, seeded cloud estate across AWS, GCP and Azure, for the simulated discovery
/// provider and for measuring inference.
///
/// The estate belongs to a generated company (`EstateOrganisation`): teams own accounts, apps
/// appear in names, owners and cost centres follow teams, environments show in names and
/// accounts. Resources come in deployments (an application in one environment: a load balancer,
/// instances with their volumes, a database, a bucket, ...) tagged by the same hand, with the
/// noise real tags have. The same seed, count, clouds and options give the same estate on every
/// platform; a prefix of a larger estate with the same settings is not guaranteed.
public struct EstateGenerator: Sendable, Sequence {
    public let seed: UInt64
    public let count: Int
    public let clouds: [String]
    public let options: EstateOptions

    public init(seed: UInt64, count: Int, clouds: [String] = ["aws", "gcp", "azure"], options: EstateOptions = .init()) {
        self.seed = seed
        self.count = Swift.max(0, count)
        let known = clouds.map { $0.lowercased() }.filter { ["aws", "gcp", "azure"].contains($0) }
        self.clouds = known.isEmpty ? ["aws", "gcp", "azure"] : known
        self.options = options
    }

    /// The whole estate at once. For large estates prefer iterating or `pages(size:)`.
    public func generate() -> [SimulatedResource] {
        var out: [SimulatedResource] = []
        out.reserveCapacity(count)
        for r in self { out.append(r) }
        return out
    }

    public func makeIterator() -> EstateIterator { EstateIterator(self) }

    /// The estate in pages of at most `size`, generated lazily.
    public func pages(size: Int = 500) -> EstatePages { EstatePages(generator: self, size: Swift.max(1, size)) }
}

public struct EstatePages: Sequence, Sendable {
    let generator: EstateGenerator
    let size: Int

    public struct Iterator: IteratorProtocol {
        var inner: EstateIterator
        let size: Int
        public mutating func next() -> [SimulatedResource]? {
            var page: [SimulatedResource] = []
            page.reserveCapacity(size)
            while page.count < size, let r = inner.next() { page.append(r) }
            return page.isEmpty ? nil : page
        }
    }

    public func makeIterator() -> Iterator { Iterator(inner: generator.makeIterator(), size: size) }
}

/// Draws deployments one at a time and hands out their resources; holds only the current
/// deployment plus the set of ids issued (to keep them unique).
public struct EstateIterator: IteratorProtocol {
    let org: EstateOrganisation
    let options: EstateOptions
    let count: Int
    let cloudWeights: [(String, Double)]
    var rng: SeededRandom
    /// Draws of the phenomena beyond the defaults (`EstateOptions.realWorld`): a stream of their own, so the
    /// default estate of a seed stays the same whether they exist or not.
    var quirks: SeededRandom
    /// Per team, the index in `identifierSpellings` of how it usually writes its cost centre.
    var costCenterHabit: [String: Int] = [:]
    var produced = 0
    var buffer: [SimulatedResource] = []
    var bufferIndex = 0
    /// Ids issued so far: names are drawn from small vocabularies, so ids built from names can collide.
    var issuedIDs = Set<String>()
    /// Next instance number per (team, app, env), as people number their machines.
    var counters: [String: Int] = [:]
    /// Azure resource groups already emitted.
    var resourceGroups = Set<String>()

    init(_ g: EstateGenerator) {
        var orgRNG = SeededRandom(seed: g.seed, stream: 1)
        let teamCount = g.options.teams ?? min(20, max(4, g.count / 150))
        org = EstateOrganisation(rng: &orgRNG, teamCount: teamCount, options: g.options)
        options = g.options
        count = g.count
        let share = ["aws": 0.55, "gcp": 0.25, "azure": 0.2]
        cloudWeights = g.clouds.map { ($0, share[$0] ?? 0.2) }
        rng = SeededRandom(seed: g.seed, stream: 2)
        quirks = SeededRandom(seed: g.seed, stream: 3)
        if options.identifierSpellingRate > 0 {
            for team in org.teams {
                costCenterHabit[team.name] = quirks.chance(0.6) ? 0 : 1 + quirks.below(Self.identifierSpellings.count - 1)
            }
        }
    }

    /// What people write before the cost centre's number (`CC-41234`, `41234`): the company's usual `CC-` first.
    static let identifierSpellings = ["CC-", "cc-", "CC", "", "CC_", "cc"]

    /// The cost centre as the company writes it (with a prefix when identifiers come in several spellings).
    func costCenterTruth(_ number: String) -> String {
        options.identifierSpellingRate > 0 ? Self.identifierSpellings[0] + number : number
    }

    public mutating func next() -> SimulatedResource? {
        guard produced < count else { return nil }
        while bufferIndex >= buffer.count {
            buffer.removeAll(keepingCapacity: true)
            bufferIndex = 0
            emitDeployment()
        }
        defer { bufferIndex += 1; produced += 1 }
        return buffer[bufferIndex]
    }

    // MARK: deployments

    /// Everything one application has in one environment, tagged (or not) by the same hand.
    struct Deployment {
        let cloud: String
        let team: EstateOrganisation.Team
        let app: EstateOrganisation.App
        let env: String
        let account: EstateOrganisation.Account
        let region: String
        let style: NamingStyle
        let envToken: String
        let truth: [String: String]
        /// Canonical keys this deployment's tags carry (empty: untagged).
        let taggedKeys: [String]
        let dialect: [String: String]
        let noSignal: Bool
    }

    mutating func emitDeployment() {
        let cloud = rng.pick(cloudWeights)
        let team = org.teams[rng.weightedIndex(org.teams.map(\.weight))]
        let app = team.apps[rng.weightedIndex(team.apps.map(\.weight))]
        let env = rng.pick(EstateVocabulary.envWeights)
        let noSignal = rng.chance(options.noSignalShare)

        let account: EstateOrganisation.Account
        if noSignal || rng.chance(0.06) {
            // Shared accounts hold several teams' resources: the account says nothing of the team.
            account = org.sharedAccounts[cloud]![env == "production" || env == "staging" ? 0 : 1]
        } else {
            account = team.accounts[cloud]![env]!
        }
        let region = rng.chance(0.8) ? team.homeRegion[cloud]! : rng.pick(EstateOrganisation.regions(cloud))
        let style: NamingStyle =
            noSignal ? .opaque : rng.chance(0.75) ? team.namingStyle : rng.pick(NamingStyle.allCases)
        // Names mostly use the team's env token; sometimes whoever made it wrote it their way.
        let envToken = rng.chance(0.85) ? team.envNameToken[env]! : rng.pick(Array(EstateVocabulary.envNameTokens[env]!.prefix(3)))
        let truth = [
            "env": env, "team": team.name, "owner": app.owner, "cost-center": costCenterTruth(team.costCenter), "application": app.name,
        ]
        var taggedKeys: [String] = []
        if !noSignal && rng.chance(team.tagDiscipline) {
            taggedKeys = EstateVocabulary.requiredKeys.filter { _ in rng.chance(options.keyPresence) }
        }
        let dialects = cloud == "gcp" ? EstateVocabulary.gcpKeyDialects : EstateVocabulary.keyDialects
        let ownDialect = cloud == "gcp" ? team.gcpKeyDialect : team.keyDialect
        let dialect = dialects[rng.chance(options.synonymRate) ? rng.below(dialects.count) : ownDialect]

        let d = Deployment(
            cloud: cloud, team: team, app: app, env: env, account: account, region: region, style: style,
            envToken: envToken, truth: truth, taggedKeys: taggedKeys, dialect: dialect, noSignal: noSignal)
        switch cloud {
        case "gcp": emitGCP(d)
        case "azure": emitAzure(d)
        default: emitAWS(d)
        }
    }

    // MARK: helpers shared by the clouds

    mutating func nextNumber(_ d: Deployment) -> Int {
        let key = "\(d.team.name)/\(d.app.name)/\(d.env)"
        let n = (counters[key] ?? 0) + 1
        counters[key] = n
        return n
    }

    func parts(_ d: Deployment, role: String, number: Int? = nil) -> NamingStyle.Parts {
        .init(team: d.team.name, app: d.app.name, env: d.envToken, role: role, number: number)
    }

    /// Makes `base` unique among issued ids by suffixing `-2`, `-3`, ... as people do.
    mutating func unique(_ base: String, id: (String) -> String) -> (name: String, id: String) {
        var name = base
        var k = 1
        while issuedIDs.contains(id(name)) {
            k += 1
            name = "\(base)-\(k)"
        }
        let full = id(name)
        issuedIDs.insert(full)
        return (name, full)
    }

    /// The native tags of one resource of a deployment: the deployment's keys, each value drawn
    /// with the estate's noise. `share` < 1 leaves some resources of the deployment untagged
    /// (volumes and hand-made extras often are).
    mutating func nativeTags(_ d: Deployment, share: Double = 0.92, extra: [String: String] = [:]) -> [String: String] {
        var tags = extra
        // A fully tagged estate (taggedShare 1) leaves no resource out.
        guard !d.taggedKeys.isEmpty, options.taggedShare >= 1 || rng.chance(share) else { return tags }
        let gcp = d.cloud == "gcp"
        for key in d.taggedKeys {
            if gcp && key == "owner" { continue }  // GCP labels cannot hold an e-mail address
            var spelledKey = rng.chance(options.synonymRate / 3)
                ? rng.pick(gcp ? EstateVocabulary.gcpKeyDialects : EstateVocabulary.keyDialects)[key]!
                : d.dialect[key]!
            if quirks.chance(options.keyTypoRate) { spelledKey = Self.typo(spelledKey, rng: &quirks) }
            var value = tagValue(key, d)
            if quirks.chance(options.placeholderRate) { value = quirks.pick(EstateVocabulary.placeholderValues) }
            if gcp { value = value.restricted(lowercase: true, allowed: { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }, replacement: "_", maxLength: 63) }
            tags[spelledKey] = value
        }
        return tags
    }

    /// A tag value as someone wrote it: usually the team's usual form, sometimes a case or
    /// punctuation variant, rarely stale or misspelt.
    mutating func tagValue(_ key: String, _ d: Deployment) -> String {
        let truth = d.truth[key]!
        let stale = rng.chance(options.staleRate)
        if !stale, d.team.renamed, key == "team" || key == "cost-center", quirks.chance(options.renamedStaleShare) {
            // Tags written before the team's rename, never updated.
            return key == "team" ? d.team.formerName : costCenterTruth(d.team.formerCostCenter)
        }
        if stale {
            switch key {
            case "env": return d.team.envTagValue[rng.pick(EstateVocabulary.envWeights.map(\.0).filter { $0 != truth })]!
            case "team": return d.team.formerName
            case "owner": return d.team.formerOwner
            case "cost-center": return costCenterTruth(d.team.formerCostCenter)
            default: return rng.pick(d.team.apps.map(\.name).filter { $0 != truth } + [truth + "-legacy"])
            }
        }
        var value: String
        switch key {
        case "env":
            value = rng.chance(options.variantRate) ? rng.pick(EstateVocabulary.envValueSpellings[truth]!) : d.team.envTagValue[truth]!
        case "cost-center":
            value = truth
            if options.identifierSpellingRate > 0 {
                let spelling = quirks.chance(options.identifierSpellingRate)
                    ? quirks.below(Self.identifierSpellings.count) : costCenterHabit[d.team.name] ?? 0
                value = Self.identifierSpellings[spelling] + d.team.costCenter
            }
        default:
            value = rng.chance(options.variantRate) ? rng.pick(Self.variants(of: truth)) : truth
            if key == "team" || key == "application", quirks.chance(options.suffixVariantRate) {
                value += quirks.pick(key == "team" ? ["-team", "-squad", "_team"] : ["-svc", "-service", "-app"])
            }
        }
        if rng.chance(options.typoRate) { value = typo(value) }
        return value
    }

    /// Case and punctuation variants people write for one value.
    static func variants(of value: String) -> [String] {
        if value.contains("@") {
            let (local, domain) = (value.prefix { $0 != "@" }, value.drop { $0 != "@" })
            return [local.split(separator: ".").map { String($0).capitalizedFirst }.joined(separator: ".") + domain, value.uppercased()]
        }
        let words = value.split(separator: "-").map(String.init)
        var out = [value.uppercased(), words.map(\.capitalizedFirst).joined(separator: "-")]
        if words.count > 1 {
            out += [words.joined(separator: "_"), words.map(\.capitalizedFirst).joined(), words.map(\.capitalizedFirst).joined(separator: " ")]
        }
        return out
    }

    mutating func typo(_ value: String) -> String { Self.typo(value, rng: &rng) }

    /// A swapped or dropped letter inside `value` (never the first or last).
    static func typo(_ value: String, rng: inout SeededRandom) -> String {
        var chars = Array(value)
        guard chars.count > 3 else { return value }
        let i = rng.int(in: 1...(chars.count - 2))
        if rng.chance(0.5) { chars.swapAt(i, i + 1) } else { chars.remove(at: i) }
        return String(chars)
    }
}
