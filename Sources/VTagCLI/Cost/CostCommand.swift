import ArgumentParser
import Cost
import Discovery
import Foundation
import Inference
import K8sClient
import TaggingAPI

/// `kubectl vtag cost --focus FILE...`: a FOCUS bill's cost by virtual tag, with what stays unallocated.
struct CostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cost",
        abstract: "Allocate the cost in FOCUS billing files by tag: per month, by source, with what stays unallocated.",
        discussion: """
            Joins each row of the FOCUS exports (CSV, plain or gzip; FOCUS 1.0 and later, from AWS, Azure, \
            GCP or OCI) to a resource by its ResourceId, and adds the cost up by the values the resources \
            hold for the --by keys: per month (ChargePeriodStart), each key's allocated share by the source \
            of its value (native, rule, inherited, model, approval, manual), and what stays unallocated \
            (rows with no ResourceId, ids of no known resource, resources without a value), largest first. \
            Allocated plus unallocated is always the files' total. The files are streamed: a large export \
            needs little memory.

            The resources are the cluster's CloudResources with their virtual tags, or offline (no \
            cluster) an inventory file, a simulated estate or a DiscoveryJob manifest, tagged by the \
            rules as `plan` would.

            Examples:
              kubectl vtag cost --focus focus-2024-09.csv.gz --by team -n finops
              kubectl vtag cost --focus *.csv --by team,env -A -o json
              kubectl vtag cost --focus bill.csv --inventory estate.csv --rules rules/ --by team -o csv
            """)

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case table, json, csv }

    @Option(name: .long, parsing: .upToNextOption, help: ArgumentHelp("FOCUS export files (CSV, or CSV gzip).", valueName: "FILE"))
    var focus: [String] = []

    @Option(name: .long, help: ArgumentHelp("Keys to allocate by, comma-separated (a resource needs a value for each).", valueName: "KEYS"))
    var by: String

    @Option(name: .long, help: "The FOCUS cost column to add up: EffectiveCost (amortised), BilledCost, ListCost or ContractedCost.")
    var costColumn: FOCUSCostColumn = .effectiveCost

    @Option(name: [.short, .long], help: "table, json or csv.")
    var output: OutputFormat = .table

    @Option(name: .long, help: ArgumentHelp("Unallocated resources listed in the table: a number or all.", valueName: "N|all"))
    var show: String = "10"

    @OptionGroup(title: "Offline, instead of the cluster") var offline: EstateSourceOptions

    @OptionGroup var cluster: ClusterOptions

    @Flag(name: [.customShort("A"), .long], help: "CloudResources of every namespace.")
    var allNamespaces = false

    @Option(name: [.customShort("l"), .long], help: "Label selector of the CloudResources, e.g. vtag.dev/provider=aws.")
    var selector: String?

    var keys: [String] { AllocationKeys.parse(by) }
    var showLimit: Int? { show == "all" ? nil : Int(show).flatMap { $0 >= 0 ? $0 : nil } }

    func validate() throws {
        guard !focus.isEmpty else { throw ValidationError("give the FOCUS files to allocate: --focus FILE...") }
        guard !keys.isEmpty else { throw ValidationError("--by needs at least one key, e.g. --by team or --by team,env") }
        guard showLimit != nil || show == "all" else { throw ValidationError("--show takes a number or all, not \(show)") }
        try offline.validate()
        if offline.source == nil && !offline.rules.isEmpty {
            throw ValidationError("--rules applies offline (with --inventory, --simulate or --job); in the cluster the operator has applied the TaggingRules already")
        }
        if offline.source != nil && (allNamespaces || selector != nil) {
            throw ValidationError("-A and -l select CloudResources in the cluster; offline (--inventory, --simulate, --job) they do not apply")
        }
    }

    /// The resources and what they came from.
    func estate() async throws -> (resources: [AllocationResource], source: String) {
        if let source = offline.source {
            let report = try await tagged(source)
            return (report.resources.map(AllocationResource.init(planned:)), source.description + (offline.rules.isEmpty ? "" : " with \(offline.rules.joined(separator: ", "))"))
        }
        let session = try cluster.connect()
        let api = session.api(CloudResource.self, allNamespaces: allNamespaces)
        let list = try await session.run(.init("list", "cloudresources", allNamespaces: allNamespaces)) {
            try await api.listAll(ListParams(labelSelector: selector))
        }
        let scope = allNamespaces ? "every namespace" : "namespace \(session.namespace)"
        return (list.items.map(AllocationResource.init(resource:)), "the CloudResources of \(scope)" + (selector.map { " matching \($0)" } ?? ""))
    }

    /// The offline estate tagged as the operator would; the --by keys join the required keys, so the
    /// model learns them too.
    func tagged(_ source: EstateSource) async throws -> PlanReport {
        let taggingRules = try ManifestFiles.taggingRules(at: offline.rules)
        let loaded = try await source.load()
        for e in loaded.failures { Console.current.note("warning: \(e.description) (left out)") }
        let required = VTag.defaultRequiredKeys + keys.filter { !VTag.defaultRequiredKeys.contains($0) }
        let report = PlanReport.make(
            source: source.description, specs: loaded.resources, rules: taggingRules,
            config: InferenceConfig(requiredKeys: required), discoveryErrors: loaded.failures.map(\.description))
        for e in report.ruleErrors { Console.current.note("warning: unusable rule left out: \(e)") }
        return report
    }

    func makeReport() async throws -> CostReport {
        let (resources, source) = try await estate()
        let input = FOCUSInput(files: focus, costColumn: costColumn)
        var allocators = [CostAllocator(keys: keys, resources: resources)]
        let files = try input.allocate(into: &allocators)
        let allocation = allocators[0].result()
        try FOCUSInput.checkCurrency(allocation)
        return CostReport(source: source, resources: resources.count, input: input, files: files, allocation: allocation)
    }

    func run() async throws {
        let report = try await makeReport()
        switch output {
        case .table: Console.current.write(report.table(show: showLimit))
        case .json: Console.current.write(try report.json())
        case .csv: Console.current.write(report.csv())
        }
    }
}
