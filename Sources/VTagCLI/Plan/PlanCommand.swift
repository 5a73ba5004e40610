import ArgumentParser
import Cost
import Discovery
import Foundation
import Inference
import TaggingAPI

/// `kubectl vtag plan`: the operator's whole inference with no cluster, for a newcomer's first look and
/// for CI gates on rule changes.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what vtag would tag, suggest and discard, with no cluster.",
        discussion: """
            Runs the operator's inference offline: the resources come from an inventory file, a simulated \
            estate, or a DiscoveryJob manifest run from this machine; the rules from TaggingRule YAML files \
            or folders. The model is learned from the resources' own known tags, as the operator learns it. \
            Prints what would be applied, suggested to a person (TagApprovals) and discarded, each with its \
            confidence, source and reason, and the coverage of each required key. \
            --fail-under makes it a CI gate: exit status 1 when the coverage is below the ratio.

            Examples:
              kubectl vtag plan --simulate 1000 --rules examples/taggingrules.yaml
              kubectl vtag plan --inventory estate.csv --rules rules/ -o json > plan.json
              kubectl vtag plan --job discoveryjob-aws.yaml --rules rules/
              kubectl vtag plan --inventory estate.csv --rules rules/ --fail-under 0.8
              kubectl vtag plan --inventory estate.csv -o csv > tagged.csv
              kubectl vtag plan --inventory estate.csv --rules rules/ --focus bill.csv.gz --by team
            """)

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case table, json, csv }

    @OptionGroup var estate: EstateSourceOptions

    @Option(name: .long, help: ArgumentHelp("Required keys, comma-separated.", valueName: "KEYS"))
    var requiredKeys: String = VTag.defaultRequiredKeys.joined(separator: ",")

    @Option(name: .long, help: "Confidence at or above which a value is applied without a person.")
    var autoApplyThreshold: Double = Thresholds.default.autoApply

    @Option(name: .long, help: "Confidence at or above which a value is suggested to a person (below: discarded).")
    var reviewThreshold: Double = Thresholds.default.suggest

    @Option(name: [.short, .long], help: "table, json or csv (the inventory with the applied tags as tag:KEY columns).")
    var output: OutputFormat = .table

    @Option(name: .long, help: ArgumentHelp("Resources listed in the table: a number or all.", valueName: "N|all"))
    var show: String = "10"

    @Option(name: .long, help: ArgumentHelp(
        "Exit with status 1 when the coverage of required keys is below this ratio (0 to 1).", valueName: "RATIO"))
    var failUnder: Double?

    @Option(name: .long, parsing: .upToNextOption, help: ArgumentHelp(
        "FOCUS billing files: show the cost the values allocate before and after the rules.", valueName: "FILE"))
    var focus: [String] = []

    @Option(name: .long, help: ArgumentHelp("With --focus: the keys to allocate by (default: the required keys).", valueName: "KEYS"))
    var by: String?

    @Option(name: .long, help: "With --focus: EffectiveCost, BilledCost, ListCost or ContractedCost.")
    var costColumn: FOCUSCostColumn = .effectiveCost

    func validate() throws {
        if focus.isEmpty && by != nil { throw ValidationError("--by allocates the cost of --focus FILE...: give the FOCUS files too") }
        try estate.validate()
        guard estate.source != nil else { throw ValidationError(EstateSourceOptions.oneSource) }
        guard (0...1).contains(autoApplyThreshold), (0...1).contains(reviewThreshold) else {
            throw ValidationError("thresholds are confidences between 0 and 1")
        }
        guard reviewThreshold <= autoApplyThreshold else {
            throw ValidationError("--review-threshold (\(reviewThreshold)) must not be above --auto-apply-threshold (\(autoApplyThreshold))")
        }
        if let f = failUnder, !(0...1).contains(f) { throw ValidationError("--fail-under is a ratio between 0 and 1, not \(f)") }
        guard keyList.count > 0 else { throw ValidationError("--required-keys needs at least one key") }
        guard showLimit != nil || show == "all" else { throw ValidationError("--show takes a number or all, not \(show)") }
    }

    var keyList: [String] {
        requiredKeys.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// nil: all.
    var showLimit: Int? { show == "all" ? nil : Int(show).flatMap { $0 >= 0 ? $0 : nil } }

    /// Validated: exactly one source.
    var source: EstateSource { estate.source! }

    var inferenceConfig: InferenceConfig {
        InferenceConfig(thresholds: Thresholds(autoApply: autoApplyThreshold, suggest: reviewThreshold), requiredKeys: keyList)
    }

    func makeReport() async throws -> PlanReport {
        let taggingRules = try ManifestFiles.taggingRules(at: estate.rules)
        let loaded = try await source.load()
        var report = PlanReport.make(
            source: source.description, specs: loaded.resources, rules: taggingRules, config: inferenceConfig,
            discoveryErrors: loaded.failures.map(\.description))
        if !focus.isEmpty {
            let keys = by.map(AllocationKeys.parse) ?? keyList
            let before = PlanReport.make(
                source: source.description, specs: loaded.resources, rules: [], config: inferenceConfig, discoveryErrors: [])
            report.costShift = try CostShift.make(
                input: FOCUSInput(files: focus, costColumn: costColumn), keys: keys, before: before, after: report)
        }
        return report
    }

    func render(_ report: PlanReport) throws -> String {
        switch output {
        case .table: report.table(show: showLimit)
        case .json: try report.json()
        case .csv: report.csv()
        }
    }

    func run() async throws {
        let console = Console.current
        let report = try await makeReport()
        if output != .table {
            // The data goes to stdout; what was left out must still reach the person.
            for e in report.ruleErrors { console.note("warning: unusable rule left out: \(e)") }
            for e in report.discoveryErrors { console.note("warning: \(e) (left out)") }
        }
        console.write(try render(report))
        if let failUnder, report.overallCoverage < failUnder {
            let weakest = report.coverage.sorted { $0.coverage < $1.coverage }.prefix(3)
                .map { "\($0.key) \(Format.percent($0.coverage))" }.joined(separator: ", ")
            throw CLIError("coverage of required keys is \(Format.percent(report.overallCoverage)), below --fail-under \(Format.percent(failUnder)) (lowest: \(weakest))")
        }
    }
}
