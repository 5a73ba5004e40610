import Foundation
import K8sClient
import TaggingAPI
import Testing
@testable import VTagCLI

/// `kubectl vtag cost` and `plan --focus` over a small estate and bill whose answers are worked out by hand.
@Suite("kubectl vtag cost")
struct CostCommandTests {
    static let i1 = "arn:aws:ec2:eu-west-1:123456789012:instance/i-0000000000000001"
    static let i2 = "arn:aws:ec2:eu-west-1:123456789012:instance/i-0000000000000002"
    static let i3 = "arn:aws:ec2:eu-west-1:123456789012:instance/i-0000000000000003"

    /// i-1 (payments) is billed by ARN and by bare id over two months; i-2 (search); i-3 has no team;
    /// a volume no inventory holds; a tax row with no ResourceId.
    /// Total 22.00; payments 15.15, search 3.30; unallocated 1.11 + 2.00 + 0.44 = 3.55.
    static let focus = """
        ProviderName,ResourceId,ChargePeriodStart,EffectiveCost,BilledCost,BillingCurrency
        AWS,\(i1),2026-01-03T00:00:00Z,10.10,0,USD
        AWS,i-0000000000000001,2026-01-04T00:00:00Z,0.05,0,USD
        AWS,\(i2),2026-01-05T00:00:00Z,3.30,0,USD
        AWS,\(i3),2026-01-05T00:00:00Z,1.11,0,USD
        AWS,arn:aws:ec2:eu-west-1:123456789012:volume/vol-0000000000000009,2026-01-06T00:00:00Z,2.00,0,USD
        AWS,NULL,2026-01-31T00:00:00Z,0.44,0,USD
        AWS,\(i1),2026-02-01T00:00:00Z,5.00,0,USD

        """

    static let inventory = """
        provider,id,type,name,account,region,tag:team
        aws,\(i1),ec2:instance,alpha,123456789012,eu-west-1,payments
        aws,\(i2),ec2:instance,bravo,123456789012,eu-west-1,search
        aws,\(i3),ec2:instance,batch-worker,123456789012,eu-west-1,

        """

    static let rule = """
        apiVersion: vtag.dev/v1alpha1
        kind: TaggingRule
        metadata:
          name: batch-is-data
        spec:
          priority: 10
          mode: Apply
          match:
            name:
              regex: '^batch-.*$'
          tags:
            - key: team
              value: data

        """

    struct Report: Decodable {
        struct Group: Decodable {
            var values: [String: String]
            var cost: Decimal
            var months: [String: Decimal]
        }
        struct KeyShare: Decodable {
            var key: String
            var allocated: Decimal
            var bySource: [String: Decimal]
            var unallocated: Decimal
        }
        struct Unallocated: Decodable {
            var resourceId: String
            var cost: Decimal
            var reason: String
        }
        var total: Decimal
        var allocated: Decimal
        var unallocated: Decimal
        var groups: [Group]
        var keys: [KeyShare]
        var unallocatedResources: [Unallocated]
        var currency: String?
    }

    func files() throws -> (ScratchFiles, focus: String, inventory: String) {
        let scratch = try ScratchFiles("cost")
        return (scratch, try scratch.write("bill.csv", Self.focus), try scratch.write("estate.csv", Self.inventory))
    }

    @Test func offlineJSONAddsUpToTheBillAndMatchesTheHandJoin() async throws {
        let (scratch, focus, inventory) = try files()
        defer { scratch.remove() }
        let r = await runCLI(["cost", "--focus", focus, "--inventory", inventory, "--by", "team", "-o", "json"])
        #expect(r.error == nil, "\(message(r.error))")
        let report = try JSONDecoder().decode(Report.self, from: Data(r.out.utf8))
        #expect(report.total == Decimal(string: "22.00"))
        #expect(report.allocated + report.unallocated == report.total)
        #expect(report.allocated == Decimal(string: "18.45"))
        let byTeam = Dictionary(uniqueKeysWithValues: report.groups.map { ($0.values["team"]!, $0) })
        #expect(byTeam["payments"]?.cost == Decimal(string: "15.15"))
        #expect(byTeam["payments"]?.months == ["2026-01": Decimal(string: "10.15")!, "2026-02": 5])
        #expect(byTeam["search"]?.cost == Decimal(string: "3.30"))
        #expect(report.keys.first?.bySource == ["native": Decimal(string: "18.45")!])
        // Largest unallocated first: the unknown volume, then i-3 without a team.
        #expect(report.unallocatedResources.map(\.resourceId) == ["arn:aws:ec2:eu-west-1:123456789012:volume/vol-0000000000000009", Self.i3])
        #expect(report.unallocatedResources.map(\.reason) == ["not found", "missing team"])
        #expect(report.currency == "USD")
    }

    @Test func csvRowsAddUpToTheTotalAndTheTableShowsTheLargestUnallocated() async throws {
        let (scratch, focus, inventory) = try files()
        defer { scratch.remove() }
        let csv = await runCLI(["cost", "--focus", focus, "--inventory", inventory, "--by", "team", "-o", "csv"])
        #expect(csv.error == nil, "\(message(csv.error))")
        let lines = csv.out.split(separator: "\n")
        #expect(lines.first == "month,team,allocation,cost")
        let sum = lines.dropFirst().compactMap { Decimal(string: String($0.split(separator: ",").last!)) }.reduce(Decimal.zero, +)
        #expect(sum == Decimal(string: "22.00"))
        #expect(lines.contains("2026-01,,unallocated,3.55"))

        let table = await runCLI(["cost", "--focus", focus, "--inventory", inventory, "--by", "team"])
        #expect(table.error == nil, "\(message(table.error))")
        #expect(table.out.contains("Largest unallocated resources:"))
        let payments = table.out.split(separator: "\n").first { $0.hasPrefix("  2026-01  payments ") }
        #expect(payments?.split(separator: " ") == ["2026-01", "payments", "10.15", "59.7%"], "\(table.out)")
        #expect(table.out.contains("ResourceId of no known resource"))
    }

    @Test func rulesMoveCostAndPlanShowsBeforeAndAfter() async throws {
        let (scratch, focus, inventory) = try files()
        defer { scratch.remove() }
        let rules = try scratch.write("rules.yaml", Self.rule)
        let cost = await runCLI(["cost", "--focus", focus, "--inventory", inventory, "--rules", rules, "--by", "team", "-o", "json"])
        #expect(cost.error == nil, "\(message(cost.error))")
        let report = try JSONDecoder().decode(Report.self, from: Data(cost.out.utf8))
        #expect(report.groups.first { $0.values["team"] == "data" }?.cost == Decimal(string: "1.11"))
        #expect(report.keys.first?.bySource["rule"] == Decimal(string: "1.11"))

        let plan = await runCLI(["plan", "--inventory", inventory, "--rules", rules, "--focus", focus, "--by", "team", "-o", "json"])
        #expect(plan.error == nil, "\(message(plan.error))")
        struct PlanDoc: Decodable {
            struct Cost: Decodable {
                var total: Decimal
                var allocatedBefore: Decimal
                var allocatedAfter: Decimal
            }
            var cost: Cost
        }
        let doc = try JSONDecoder().decode(PlanDoc.self, from: Data(plan.out.utf8))
        #expect(doc.cost.total == Decimal(string: "22.00"))
        #expect(doc.cost.allocatedBefore == Decimal(string: "18.45"))
        #expect(doc.cost.allocatedAfter == Decimal(string: "19.56"))
        let table = await runCLI(["plan", "--inventory", inventory, "--rules", rules, "--focus", focus, "--by", "team"])
        #expect(table.out.contains("before and after the rules"), "\(table.out)")
        #expect(table.out.contains("+1.11"))
    }

    @Test func inTheClusterTheVirtualTagsAllocateWithTheirSources() async throws {
        try await TestCluster.with { c in
            let tag = { (key: String, value: String, source: TagSource) in
                VirtualTag(key: key, value: value, source: source, confidence: 1, reason: "test")
            }
            try await c.resource(Self.i1, native: ["team": "payments"], status: CloudResourceStatus(virtualTags: [tag("team", "payments", .native)]))
            try await c.resource(Self.i2, status: CloudResourceStatus(virtualTags: [tag("team", "search", .approval)]))
            try await c.resource(Self.i3, status: CloudResourceStatus(virtualTags: [tag("team", "data", .model)]))
            let scratch = try ScratchFiles("cost-cluster")
            defer { scratch.remove() }
            let focus = try scratch.write("bill.csv", Self.focus)
            let r = await c.cli(["cost", "--focus", focus, "--by", "team", "-o", "json", "-n", c.namespace])
            #expect(r.error == nil, "\(message(r.error))")
            let report = try JSONDecoder().decode(Report.self, from: Data(r.out.utf8))
            #expect(report.allocated == Decimal(string: "19.56"))
            #expect(report.keys.first?.bySource == [
                "native": Decimal(string: "15.15")!, "approval": Decimal(string: "3.30")!, "model": Decimal(string: "1.11")!,
            ])
            #expect(report.allocated + report.unallocated == report.total)
        }
    }

    @Test func badInputGetsAClearError() async throws {
        let (scratch, _, inventory) = try files()
        defer { scratch.remove() }
        let none = await runCLI(["cost", "--inventory", inventory, "--by", "team"])
        #expect(message(none.error).contains("--focus FILE"))
        let notFocus = await runCLI(["cost", "--focus", inventory, "--inventory", inventory, "--by", "team"])
        #expect(message(notFocus.error).contains("not a FOCUS export"), "\(message(notFocus.error))")
        let mixed = try scratch.write("mixed.csv", Self.focus + "AWS,x,2026-01-01T00:00:00Z,1,1,EUR\n")
        let currencies = await runCLI(["cost", "--focus", mixed, "--inventory", inventory, "--by", "team"])
        #expect(message(currencies.error).contains("2 currencies (EUR, USD)"), "\(message(currencies.error))")
    }
}
