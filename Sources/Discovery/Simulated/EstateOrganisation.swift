/// The company behind a simulated estate: teams, their applications, people, cost centres, and
/// the cloud accounts (AWS accounts, GCP projects, Azure subscriptions) each team owns. Drawn once
/// from the seed; the resources are then drawn against it, so ownership correlates with accounts,
/// names and tags the way it does in a real company.
struct EstateOrganisation: Sendable {
    enum Archetype: CaseIterable, Sendable { case service, worker, serverless, data }

    struct App: Sendable {
        let name: String
        let owner: String
        let weight: Double
        let archetype: Archetype
    }

    struct Account: Sendable {
        let cloud: String
        /// AWS account id, GCP project id or Azure subscription id.
        let id: String
        /// The team that owns it; nil for a shared account (shared services, sandbox).
        let team: Int?
    }

    struct Team: Sendable {
        let name: String
        let formerName: String
        /// The team was renamed (its former name is a real one, not a made-up `-old`).
        let renamed: Bool
        let costCenter: String
        let formerCostCenter: String
        let owner: String
        let formerOwner: String
        let apps: [App]
        let weight: Double
        /// The team's usual naming convention; deployments deviate sometimes.
        let namingStyle: NamingStyle
        /// How the team writes each environment inside names (prod, prd, live, ...).
        let envNameToken: [String: String]
        /// How the team writes each environment as a tag value.
        let envTagValue: [String: String]
        /// Share of the team's resources that carry governance tags.
        let tagDiscipline: Double
        let keyDialect: Int
        let gcpKeyDialect: Int
        /// Writes an `aws:cloudformation:stack-name` tag (stack named after app and env).
        let usesCloudFormation: Bool
        /// Accounts by cloud, then by environment.
        let accounts: [String: [String: Account]]
        let homeRegion: [String: String]
    }

    let teams: [Team]
    /// Shared accounts by cloud: [0] shared services (production, staging), [1] sandbox (development, test).
    let sharedAccounts: [String: [Account]]
    /// Prefix of globally unique names (S3 and GCS buckets).
    let company: String

    init(rng: inout SeededRandom, teamCount: Int, options: EstateOptions) {
        company = rng.pick(["acme", "globex", "initech", "umbrella", "hooli", "vandelay"])
        let templates = rng.sample(EstateVocabulary.teams, min(max(teamCount, 1), EstateVocabulary.teams.count))

        // People: distinct first.last names; the first ones lead teams, then app owners, then leavers.
        var people: [String] = []
        var used = Set<String>()
        while people.count < templates.count * 4 {
            let p = "\(rng.pick(EstateVocabulary.firstNames)).\(rng.pick(EstateVocabulary.lastNames))@\(EstateVocabulary.emailDomain)"
            if used.insert(p).inserted { people.append(p) }
        }
        var nextPerson = templates.count
        func takePerson() -> String {
            defer { nextPerson += 1 }
            return people[nextPerson % people.count]
        }

        let departmentBase = ["commerce": 41, "product": 52, "platform": 63, "operations": 74]
        var usedCostCenters = Set<String>()
        var departmentCostCenter: [String: String] = [:]
        var teams: [Team] = []
        // Teams differ in discipline, but every team tags some of its resources (unless nobody does).
        let spread = 0.6 * min(options.taggedShare, 1 - options.taggedShare)

        for (i, t) in templates.enumerated() {
            let base = departmentBase[t.department] ?? 85
            // Some teams are billed to their department's cost centre rather than their own.
            var costCenter: String
            if let shared = departmentCostCenter[t.department], rng.chance(0.25) {
                costCenter = shared
            } else {
                repeat { costCenter = String(base * 1000 + rng.int(in: 10...990)) } while !usedCostCenters.insert(costCenter).inserted
                if departmentCostCenter[t.department] == nil { departmentCostCenter[t.department] = costCenter }
            }
            var former: String
            repeat { former = String(base * 1000 + rng.int(in: 10...990)) } while usedCostCenters.contains(former)

            let lead = people[i]
            let apps = t.apps.map { name in
                App(
                    name: name, owner: rng.chance(0.3) ? takePerson() : lead, weight: 0.5 + rng.unit() * 1.5,
                    archetype: rng.pick([(.service, 0.45), (.worker, 0.2), (.serverless, 0.2), (.data, 0.15)]))
            }
            // Opaque names are what people end up with, never a team's convention.
            let style = rng.pick([(NamingStyle.kebab, 0.45), (.snake, 0.2), (.camel, 0.2), (.upper, 0.15)])
            var envNameToken: [String: String] = [:]
            var envTagValue: [String: String] = [:]
            let shortTags = rng.chance(0.5)
            // Sorted: dictionary order changes from process to process, draws must not.
            for env in EstateVocabulary.envNameTokens.keys.sorted() {
                let tokens = EstateVocabulary.envNameTokens[env]!
                // Single letters only in the terse upper-case convention.
                envNameToken[env] = style == .upper ? rng.pick(tokens) : rng.pick(Array(tokens.prefix(3)))
                let spellings = EstateVocabulary.envValueSpellings[env]!
                envTagValue[env] = shortTags ? spellings[1] : spellings[rng.chance(0.7) ? 0 : spellings.count - 1]
            }

            var accounts: [String: [String: Account]] = [:]
            var homeRegion: [String: String] = [:]
            let bigTeam = rng.chance(0.3)
            for cloud in ["aws", "gcp", "azure"] {
                accounts[cloud] = Self.teamAccounts(cloud: cloud, team: i, name: t.name, bigTeam: bigTeam, rng: &rng)
                homeRegion[cloud] = rng.pick(Self.regions(cloud))
            }

            teams.append(Team(
                name: t.name, formerName: t.formerName ?? "\(t.name)-old", renamed: t.formerName != nil, costCenter: costCenter,
                formerCostCenter: former, owner: lead, formerOwner: takePerson(), apps: apps,
                weight: 2 / Double(i + 2),  // a few big teams, a long tail; basic IEEE ops only, so every platform agrees
                namingStyle: style, envNameToken: envNameToken,
                envTagValue: envTagValue, tagDiscipline: min(1, max(0, options.taggedShare + (rng.unit() * 2 - 1) * spread)),
                keyDialect: rng.below(EstateVocabulary.keyDialects.count),
                gcpKeyDialect: rng.below(EstateVocabulary.gcpKeyDialects.count),
                usesCloudFormation: rng.chance(0.3), accounts: accounts, homeRegion: homeRegion))
        }
        self.teams = teams

        var shared: [String: [Account]] = [:]
        for cloud in ["aws", "gcp", "azure"] {
            shared[cloud] = [
                Account(cloud: cloud, id: Self.accountID(cloud: cloud, label: "shared-services", rng: &rng), team: nil),
                Account(cloud: cloud, id: Self.accountID(cloud: cloud, label: "sandbox", rng: &rng), team: nil),
            ]
        }
        sharedAccounts = shared
    }

    static func regions(_ cloud: String) -> [String] {
        switch cloud {
        case "gcp": EstateVocabulary.gcpRegions
        case "azure": EstateVocabulary.azureRegions
        default: EstateVocabulary.awsRegions
        }
    }

    /// AWS: a production and a non-production account (big teams split staging out).
    /// GCP: a project per environment, test sharing development's. Azure: prod / non-prod subscriptions.
    private static func teamAccounts(
        cloud: String, team: Int, name: String, bigTeam: Bool, rng: inout SeededRandom
    ) -> [String: Account] {
        func account(_ label: String) -> Account {
            Account(cloud: cloud, id: accountID(cloud: cloud, label: "\(name)-\(label)", rng: &rng), team: team)
        }
        switch cloud {
        case "gcp":
            let prod = account("prod"), stg = account("stg"), dev = account("dev")
            return ["production": prod, "staging": stg, "development": dev, "test": dev]
        default:
            let prod = account("prod"), nonprod = account("nonprod")
            let staging = bigTeam ? account("staging") : nonprod
            return ["production": prod, "staging": staging, "development": nonprod, "test": nonprod]
        }
    }

    /// A 12-digit AWS account id, a GCP project id (`payments-prod-4821`, or opaque for a quarter of
    /// projects, as older projects often are), or an Azure subscription GUID.
    private static func accountID(cloud: String, label: String, rng: inout SeededRandom) -> String {
        switch cloud {
        case "gcp":
            if rng.chance(0.25) { return "prj-\(rng.alnum(8))" }
            return "\(label)-\(rng.int(in: 1000...9999))"
        case "azure":
            return "\(rng.hex(8))-\(rng.hex(4))-4\(rng.hex(3))-\(rng.pick(["8", "9", "a", "b"]))\(rng.hex(3))-\(rng.hex(12))"
        default:
            return String(rng.int(in: 100_000_000_000...999_999_999_999))
        }
    }
}
