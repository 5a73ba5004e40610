import Cost
import Foundation
import TaggingAPI

/// A FOCUS file written together with the answers a correct allocation must give: every row is made
/// for a known resource (or for none), so the expected figures come from the generator's own
/// bookkeeping, never from a second join.
struct GeneratedFOCUS {
    var csv: String
    var resources: [AllocationResource]
    var total = Decimal.zero
    /// team -> cost, for rows whose resource has a team.
    var byTeam: [String: Decimal] = [:]
    /// "team/env" -> cost, for rows whose resource has both.
    var byTeamEnv: [String: Decimal] = [:]
    /// month -> team -> cost.
    var byMonthTeam: [String: [String: Decimal]] = [:]
    /// source of the team value -> cost.
    var teamBySource: [TagSource: Decimal] = [:]
    var noResourceId = Decimal.zero, noResourceIdRows = 0
    var unknown = Decimal.zero, unknownRows = 0
    var withoutTeam = Decimal.zero, withoutTeamRows = 0
    /// Unallocated cost per resource id (as the report names it) for `--by team`.
    var unallocatedByResource: [String: Decimal] = [:]
    var rows = 0

    static let header = ["BilledCost", "ResourceId", "ProviderName", "ChargePeriodStart", "EffectiveCost", "BillingCurrency", "Tags", "ServiceName"]

    /// `count` resources over three clouds, `rowsPerResource` rows each in each of three months, plus
    /// tax rows without a ResourceId and rows of resources the estate does not hold.
    static func make(count: Int = 60, rowsPerResource: Int = 4, seed: UInt64 = 42) -> GeneratedFOCUS {
        var rng = seed
        func next(_ n: Int) -> Int {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return Int((rng >> 33) % UInt64(n))
        }
        let teams = ["payments", "search", "data, and \"ml\""]
        var g = GeneratedFOCUS(csv: header.joined(separator: ",") + "\n", resources: [])
        struct Made { var resource: AllocationResource; var billedAs: [String]; var provider: String }
        var made: [Made] = []
        for i in 0..<count {
            var tags: [String: AllocationResource.Tag] = [:]
            if i % 7 != 3 { tags["team"] = .init(value: teams[i % teams.count], source: TagSource.allCases[i % TagSource.allCases.count]) }
            if i % 2 == 0 { tags["env"] = .init(value: i % 4 == 0 ? "prod" : "dev", source: .rule) }
            switch i % 3 {
            case 0:
                let bare = String(format: "i-%017x", i * 7919)
                let arn = "arn:aws:ec2:eu-west-1:123456789012:instance/\(bare)"
                made.append(Made(resource: .init(provider: "aws", id: arn, name: "vm-\(i)", tags: tags), billedAs: [arn, bare], provider: "AWS"))
            case 1:
                let id = "/subscriptions/0000-\(i)/resourceGroups/RG-Team/providers/Microsoft.Compute/virtualMachines/VM\(i)"
                made.append(Made(resource: .init(provider: "azure", id: id, name: "VM\(i)", tags: tags), billedAs: [id.lowercased(), id], provider: "Microsoft"))
            default:
                let id = "//compute.googleapis.com/projects/p-\(i)/zones/europe-west1-b/instances/vm-\(i)"
                made.append(Made(resource: .init(provider: "gcp", id: id, name: "vm-\(i)", tags: tags), billedAs: [id], provider: "Google Cloud"))
            }
        }
        g.resources = made.map(\.resource)

        func amount() -> (text: String, value: Decimal) {
            let cents = next(200_000) - 20_000  // credits too
            switch next(4) {
            case 0:  // scientific notation, as some exporters write small amounts
                let v = Decimal(cents) / 100_000
                return ("\(cents)E-5", v)
            case 1:
                let micro = next(1_000_000)
                return ("0.\(String(format: "%06d", micro))00000", Decimal(micro) / 1_000_000)
            default:
                let v = Decimal(cents) / 100
                return ("\(v)", v)
            }
        }
        func row(_ id: String?, _ provider: String, _ month: String, _ cost: String) {
            let start = "\(month)-\(String(format: "%02d", 1 + next(28)))" + (next(2) == 0 ? "T05:00:00Z" : " 05:00:00")
            let cells = [next(3) == 0 ? "NULL" : "1", id ?? (next(2) == 0 ? "NULL" : ""), provider, start, cost, "USD",
                         "\"{\"\"team\"\": \"\"ignored\"\"}\"", "Svc"]
            g.csv += cells.joined(separator: ",") + "\n"
            g.rows += 1
        }

        for month in ["2026-01", "2026-02", "2026-03"] {
            for m in made {
                for _ in 0..<rowsPerResource {
                    let (text, value) = amount()
                    row(m.billedAs[next(m.billedAs.count)], m.provider, month, text)
                    g.total += value
                    let r = m.resource
                    if let team = r.tags["team"] {
                        g.byTeam[team.value, default: 0] += value
                        g.byMonthTeam[month, default: [:]][team.value, default: 0] += value
                        g.teamBySource[team.source, default: 0] += value
                        if let env = r.tags["env"] { g.byTeamEnv["\(team.value)/\(env.value)", default: 0] += value }
                    } else {
                        g.withoutTeam += value
                        g.withoutTeamRows += 1
                        g.unallocatedByResource[r.id, default: 0] += value
                    }
                }
            }
            for k in 0..<5 {
                let (text, value) = amount()
                row(nil, "AWS", month, text)
                g.total += value
                g.noResourceId += value
                g.noResourceIdRows += 1
                let ghost = "arn:aws:ec2:eu-west-1:123456789012:volume/vol-gone\(k)"
                let (t2, v2) = amount()
                row(ghost, "AWS", month, t2)
                g.total += v2
                g.unknown += v2
                g.unknownRows += 1
                g.unallocatedByResource[ghost, default: 0] += v2
            }
        }
        return g
    }
}

/// Writes `text` to a new temporary file named `name` and returns its path.
func temporaryFile(_ name: String, _ data: Data) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vtag-cost-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent(name).path
    try data.write(to: URL(fileURLWithPath: path))
    return path
}

/// `data` compressed by the gzip program (an independent encoder, not the code under test).
func gzipped(_ data: Data) throws -> Data {
    let input = try temporaryFile("in", data)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["gzip", "-c", "-6", input]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let out = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
    return out
}

/// Reads `path` into a fresh allocator by `keys`.
func allocate(_ path: String, keys: [String], resources: [AllocationResource], column: FOCUSCostColumn = .effectiveCost)
    throws -> (allocation: CostAllocation, summary: FOCUSReader.Summary)
{
    var allocator = CostAllocator(keys: keys, resources: resources)
    let summary = try FOCUSReader.read(path: path, costColumn: column) { allocator.add($0) }
    return (allocator.result(), summary)
}
