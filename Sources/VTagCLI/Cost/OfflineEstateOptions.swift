import ArgumentParser
import Discovery
import Inference
import TaggingAPI

/// The offline sources of `cost` (as `plan` has them): resources from an inventory file, a simulated
/// estate or a DiscoveryJob manifest, tagged by TaggingRule files as the operator would.
struct OfflineEstateOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Inventory file (CSV or JSON) instead of the cluster.", valueName: "FILE"))
    var inventory: String?

    @Option(name: .long, help: ArgumentHelp("A simulated estate of N resources instead of the cluster.", valueName: "N"))
    var simulate: Int?

    @Option(name: .long, help: "Seed of the simulated estate.")
    var seed: Int64 = SimulatedProvider.defaultSeed

    @Option(name: .long, help: "Clouds of the simulated estate, comma-separated.")
    var clouds: String = "aws,gcp,azure"

    @Option(name: .long, help: ArgumentHelp("A DiscoveryJob manifest, discovered from this machine, instead of the cluster.", valueName: "FILE"))
    var job: String?

    @Option(name: .long, help: ArgumentHelp("Offline: TaggingRule YAML file or folder (repeatable).", valueName: "PATH"))
    var rules: [String] = []

    func validate() throws {
        let count = [inventory != nil, simulate != nil, job != nil].count { $0 }
        guard count <= 1 else { throw ValidationError("give at most one offline source: --inventory FILE, --simulate N or --job FILE") }
        if let n = simulate, n <= 0 { throw ValidationError("--simulate needs a positive number of resources, not \(n)") }
        if source == nil && !rules.isEmpty {
            throw ValidationError("--rules applies offline (with --inventory, --simulate or --job); in the cluster the operator has applied the TaggingRules already")
        }
    }

    var source: EstateSource? {
        if let inventory { return .inventory(path: inventory) }
        if let simulate {
            let list = clouds.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
            return .simulated(count: simulate, seed: seed, clouds: list)
        }
        return job.map { .job(path: $0) }
    }

    /// The offline estate tagged as the operator would; `extraKeys` join the required keys, so the
    /// model learns them too.
    func plan(source: EstateSource, extraKeys: [String]) async throws -> PlanReport {
        let taggingRules = try ManifestFiles.taggingRules(at: rules)
        let loaded = try await source.load()
        for e in loaded.failures { Console.current.note("warning: \(e.description) (left out)") }
        let keys = VTag.defaultRequiredKeys + extraKeys.filter { !VTag.defaultRequiredKeys.contains($0) }
        let report = PlanReport.make(
            source: source.description, specs: loaded.resources, rules: taggingRules,
            config: InferenceConfig(requiredKeys: keys), discoveryErrors: loaded.failures.map(\.description))
        for e in report.ruleErrors { Console.current.note("warning: unusable rule left out: \(e)") }
        return report
    }
}
