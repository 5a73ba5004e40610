/// The data a simulated estate is made of: teams and their applications, people, regions, and the
/// spellings real estates use for tag keys and values. Public so that the inference tests can
/// check their normalisation tables cover every spelling the generator writes.
public enum EstateVocabulary {
    /// The required keys the generator knows the truth of, in their canonical spelling.
    public static let requiredKeys = ["env", "team", "owner", "cost-center", "application"]

    /// Canonical environment values (the truth) and how people write them in tags.
    public static let envValueSpellings: [String: [String]] = [
        "production": ["production", "prod", "Prod", "PROD", "prd", "PRD", "Production"],
        "staging": ["staging", "stg", "stage", "Staging", "STG", "Stage"],
        "development": ["development", "dev", "Dev", "DEV", "Development"],
        "test": ["test", "qa", "QA", "Test", "TEST"],
    ]

    /// How the environment shows up inside resource names (not tags).
    static let envNameTokens: [String: [String]] = [
        "production": ["prod", "prd", "production", "live", "p"],
        "staging": ["stg", "stage", "staging", "s"],
        "development": ["dev", "develop", "d"],
        "test": ["test", "qa", "uat", "t"],
    ]

    static let envWeights: [(String, Double)] = [
        ("production", 0.42), ("staging", 0.18), ("development", 0.28), ("test", 0.12),
    ]

    /// Spellings of each required key as tag keys, grouped into dialects: one team tends to use
    /// one dialect throughout (its IaC module), so the spelling is itself weak evidence of team.
    public static let keyDialects: [[String: String]] = [
        ["env": "Environment", "team": "Team", "owner": "Owner", "cost-center": "CostCenter", "application": "Application"],
        ["env": "env", "team": "team", "owner": "owner", "cost-center": "cost_center", "application": "app"],
        ["env": "Env", "team": "Squad", "owner": "contact", "cost-center": "cost-center", "application": "Service"],
        ["env": "stage", "team": "owner_team", "owner": "owner_email", "cost-center": "CostCenter", "application": "application"],
        ["env": "environment", "team": "Team", "owner": "Contact", "cost-center": "costcenter", "application": "App"],
    ]

    /// GCP labels: keys and values only lower-case letters, digits, `_` and `-`.
    public static let gcpKeyDialects: [[String: String]] = [
        ["env": "env", "team": "team", "owner": "owner", "cost-center": "cost_center", "application": "app"],
        ["env": "environment", "team": "owner_team", "owner": "contact", "cost-center": "cost-center", "application": "application"],
        ["env": "stage", "team": "squad", "owner": "owner", "cost-center": "costcenter", "application": "service"],
    ]

    /// Every key spelling the generator writes, by canonical key.
    public static var allKeySpellings: [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        for d in keyDialects + gcpKeyDialects { for (k, v) in d { out[k, default: []].insert(v) } }
        return out
    }

    struct TeamTemplate {
        let name: String
        let department: String
        let apps: [String]
        /// A name the team had before a reorganisation: stale tags still carry it.
        let formerName: String?
    }

    static let teams: [TeamTemplate] = [
        .init(name: "payments", department: "commerce", apps: ["payments-api", "ledger", "payouts", "card-vault"], formerName: "pay-core"),
        .init(name: "checkout", department: "commerce", apps: ["checkout", "cart", "pricing", "promotions"], formerName: nil),
        .init(name: "search", department: "product", apps: ["search-api", "indexer", "ranking", "autocomplete"], formerName: "discovery"),
        .init(name: "identity", department: "platform", apps: ["auth", "sso", "user-profile", "sessions"], formerName: "iam-team"),
        .init(name: "data-platform", department: "platform", apps: ["warehouse", "etl", "kafka", "airflow"], formerName: "data-eng"),
        .init(name: "ml-platform", department: "platform", apps: ["feature-store", "training", "model-serving"], formerName: nil),
        .init(name: "growth", department: "product", apps: ["experiments", "referrals", "campaigns"], formerName: "marketing-tech"),
        .init(name: "logistics", department: "operations", apps: ["shipping", "tracking", "fulfillment"], formerName: nil),
        .init(name: "mobile", department: "product", apps: ["mobile-bff", "push", "app-config"], formerName: "apps"),
        .init(name: "web", department: "product", apps: ["storefront", "cms", "media"], formerName: "frontend"),
        .init(name: "security", department: "platform", apps: ["vault", "siem", "scanner"], formerName: nil),
        .init(name: "sre", department: "platform", apps: ["monitoring", "logging", "bastion", "ci-runners"], formerName: "ops"),
        .init(name: "billing", department: "commerce", apps: ["invoicing", "subscriptions", "tax"], formerName: nil),
        .init(name: "notifications", department: "product", apps: ["notifier", "sms-gateway", "mailer"], formerName: "messaging"),
        .init(name: "catalog", department: "commerce", apps: ["catalog-api", "stock", "images"], formerName: nil),
        .init(name: "fraud", department: "operations", apps: ["fraud-scoring", "rules-engine", "case-mgmt"], formerName: "risk"),
        .init(name: "support", department: "operations", apps: ["helpdesk", "chatbot", "knowledge-base"], formerName: nil),
        .init(name: "analytics", department: "operations", apps: ["dashboards", "metrics-api", "reporting"], formerName: "bi"),
        .init(name: "partners", department: "commerce", apps: ["partner-api", "webhooks", "onboarding"], formerName: nil),
        .init(name: "video", department: "product", apps: ["transcoder", "streaming", "cdn-origin"], formerName: nil),
    ]

    static let firstNames = [
        "maria", "james", "wei", "aisha", "lucas", "priya", "olga", "kenji", "fatima", "david", "sofia", "mateo",
        "chloe", "omar", "ingrid", "raj", "elena", "tom", "nadia", "paulo", "yuki", "sam", "lena", "ahmed",
    ]
    static let lastNames = [
        "garcia", "smith", "zhang", "okafor", "martin", "sharma", "ivanova", "tanaka", "haddad", "cohen", "rossi",
        "fernandez", "dubois", "nasser", "larsen", "patel", "popescu", "baker", "kowalski", "silva", "sato", "lee",
    ]
    static let emailDomain = "example.com"
    /// What people write in a required tag they cannot or will not fill.
    static let placeholderValues = ["TBD", "tbd", "unknown", "N/A", "none", "TODO", "-"]

    static let awsRegions = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"]
    static let gcpRegions = ["us-central1", "europe-west1", "europe-west4", "asia-east1"]
    static let azureRegions = ["eastus", "westeurope", "northeurope", "uksouth"]

    /// Roles of the machines of an application: appear in names.
    static let computeRoles = ["api", "web", "worker", "app", "batch"]
    static let bucketPurposes = ["logs", "assets", "backups", "data", "exports", "uploads"]
    static let functionPurposes = ["handler", "processor", "cron", "webhook", "resize", "sync"]

    static let awsInstanceTypes = ["t3.micro", "t3.medium", "m5.large", "m5.xlarge", "c5.2xlarge", "r5.large"]
    static let gcpMachineTypes = ["e2-small", "e2-medium", "n2-standard-2", "n2-standard-4", "c2-standard-8"]
    static let azureVMSizes = ["Standard_B2s", "Standard_D2s_v5", "Standard_D4s_v5", "Standard_E4s_v5"]
    static let dbEngines = ["postgres", "mysql", "aurora-postgresql"]
    static let lambdaRuntimes = ["python3.12", "nodejs20.x", "java21", "provided.al2023"]
}
