import ArgumentParser
import Discovery
import TaggingAPI

/// Where offline commands (`plan`, `cost`) get their resources and rules: an inventory file, a simulated
/// estate or a DiscoveryJob manifest (at most one), and TaggingRule files.
struct EstateSourceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("TaggingRule YAML file or folder of them (repeatable).", valueName: "PATH"))
    var rules: [String] = []

    @Option(name: .long, help: ArgumentHelp("Inventory file (CSV or JSON, see the README, Offline plan and evaluation).", valueName: "FILE"))
    var inventory: String?

    @Option(name: .long, help: ArgumentHelp("A simulated estate of N resources.", valueName: "N"))
    var simulate: Int?

    @Option(name: .long, help: "Seed of the simulated estate (same seed, same estate).")
    var seed: Int64 = SimulatedProvider.defaultSeed

    @Option(name: .long, help: "Clouds of the simulated estate, comma-separated.")
    var clouds: String = "aws,gcp,azure"

    @Option(name: .long, help: ArgumentHelp(
        "A DiscoveryJob manifest, discovered from this machine (aws: your AWS environment credentials).", valueName: "FILE"))
    var job: String?

    static let oneSource = "give exactly one source of resources: --inventory FILE, --simulate N or --job FILE"

    func validate() throws {
        guard [inventory != nil, simulate != nil, job != nil].count(where: { $0 }) <= 1 else { throw ValidationError(Self.oneSource) }
        if let n = simulate, n <= 0 { throw ValidationError("--simulate needs a positive number of resources, not \(n)") }
        let unknown = cloudList.filter { !SimulatedDiscoverySettings.allClouds.contains($0) }
        guard unknown.isEmpty else {
            throw ValidationError("unknown cloud \(unknown.joined(separator: ", ")) in --clouds (aws, gcp, azure)")
        }
    }

    var cloudList: [String] {
        clouds.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
    }

    /// nil when no source was given.
    var source: EstateSource? {
        if let inventory { return .inventory(path: inventory) }
        if let simulate { return .simulated(count: simulate, seed: seed, clouds: cloudList) }
        return job.map { .job(path: $0) }
    }
}
