import Discovery
import Foundation
import K8sClient
import KubeTestServer
import TaggingAPI
import Testing
@testable import VTagCLI

@Suite("kubectl vtag import / export")
struct InventoryCommandTests {
    /// Files of one test, removed when the suite value goes away.
    let dir: URL

    init() throws { dir = try temporaryDirectory("inventory") }

    func write(_ text: String, _ name: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    let csv = """
        provider,id,type,name,account,region,tag:team,tag:Owner
        aws,arn:aws:ec2:eu-west-1:1:instance/i-1,ec2:instance,web-1,1,eu-west-1,web,ana
        aws,,ec2:instance,no-id,1,eu-west-1,,
        aws,arn:aws:s3:::logs,s3:bucket,logs,1,eu-west-1,,"Bob, Jr."

        """

    @Test("import creates one CloudResource per good row, named and labelled like discovery, reports the bad row with its line")
    func importRows() async throws {
        try await TestCluster.with { c in
            let path = try write(csv, "estate.csv")
            let r = await c.cli(["import", path])
            #expect(r.err.contains("line 3: missing id (row skipped)"), "\(r.err)")
            #expect(message(r.error).contains("1 bad row skipped"), "\(message(r.error))")
            #expect(r.out.contains("imported 2 of 2 resources"), "\(r.out)")
            #expect(r.out.contains("created 2, updated 0, unchanged 0"))

            let items = try await c.api(CloudResource.self).list().items.sorted { $0.spec.id < $1.spec.id }
            #expect(items.map(\.spec.id) == ["arn:aws:ec2:eu-west-1:1:instance/i-1", "arn:aws:s3:::logs"])
            for item in items {
                #expect(item.metadata.name == ResourceNaming.name(provider: "aws", id: item.spec.id))
                #expect(item.metadata.labels == CloudResource.mirrorLabels(for: item.spec))
            }
            #expect(items[0].spec.nativeTags == ["team": "web", "Owner": "ana"])
            #expect(items[1].spec.nativeTags == ["Owner": "Bob, Jr."])
        }
    }

    @Test("importing again changes nothing, a changed row updates, and manual tags survive a re-import")
    func idempotent() async throws {
        try await TestCluster.with { c in
            let path = try write(csv, "estate.csv")
            _ = await c.cli(["import", path])
            let name = ResourceNaming.name(provider: "aws", id: "arn:aws:ec2:eu-west-1:1:instance/i-1")
            let tagged = await c.cli(["tag", name, "cost-center=cc-1"])
            #expect(tagged.error == nil, "\(message(tagged.error))")

            let again = await c.cli(["import", path])
            #expect(again.out.contains("created 0, updated 0, unchanged 2"), "\(again.out)")
            let changed = try write(csv.replacingOccurrences(of: "web-1,1,eu-west-1,web,ana", with: "web-1,1,eu-west-1,api,ana"), "changed.csv")
            let third = await c.cli(["import", changed])
            #expect(third.out.contains("created 0, updated 1, unchanged 1"), "\(third.out)")
            let res = try await c.api(CloudResource.self).get(name)
            #expect(res.spec.nativeTags?["team"] == "api")
            #expect(res.spec.manualTags == ["cost-center": "cc-1"])
        }
    }

    @Test("--dry-run validates every row and writes nothing")
    func dryRun() async throws {
        try await TestCluster.with { c in
            let path = try write(InventoryWriter.json([InventoryRecord(provider: "aws", id: "i-9", type: "ec2:instance")]), "estate.json")
            let r = await c.cli(["import", path, "--dry-run"])
            #expect(r.error == nil, "\(message(r.error))")
            #expect(r.out.contains("(dry run: nothing written)"))
            #expect(try await c.api(CloudResource.self).list().items.isEmpty)
        }
    }

    @Test("an import the cluster forbids says which rights it needs, per resource, and fails")
    func forbidden() async throws {
        try await TestCluster.with { c in
            let path = try write(csv, "estate.csv")
            c.server.faults.forbid(verb: "patch", resource: "cloudresources")
            let r = await c.cli(["import", path])
            #expect(message(r.error).contains("2 resources not written"), "\(message(r.error))")
            #expect(r.err.contains("forbidden: you may not patch cloudresources in namespace default"), "\(r.err)")
            #expect(r.err.contains("needs create and patch on cloudresources.vtag.dev"))
            #expect(r.out.contains("imported 0 of 2"))
        }
    }

    @Test("an unreadable file is an error naming it")
    func unreadable() async throws {
        try await TestCluster.with { c in
            let r = await c.cli(["import", "/nonexistent/estate.csv"])
            #expect(message(r.error).contains("/nonexistent/estate.csv"))
        }
    }

    @Test("export writes the inventory with the applied virtual tags as tag:KEY columns, sorted; --native the cloud's tags")
    func export() async throws {
        try await TestCluster.with { c in
            try await c.resource("i-b", native: ["Team": "Web"], status: CloudResourceStatus(virtualTags: [
                VirtualTag(key: "team", value: "web", source: .native, confidence: 0.98, reason: "native"),
                VirtualTag(key: "env", value: "prod", source: .rule, confidence: 1, rule: "r", reason: "rule"),
            ]))
            try await c.resource("i-a")
            let r = await c.cli(["export"])
            #expect(r.error == nil, "\(message(r.error))")
            let read = try InventoryReader.read(r.out, format: .csv, source: "export")
            #expect(read.problems.isEmpty)
            #expect(read.records.map(\.id) == ["i-a", "i-b"])
            #expect(read.records[1].tags == ["team": "web", "env": "prod"])
            #expect(read.records[0].tags.isEmpty)

            let native = await c.cli(["export", "--native", "-o", "json", "-l", "vtag.dev/type=ec2.instance"])
            let json = try InventoryReader.read(native.out, format: .json, source: "export")
            #expect(json.records.first { $0.id == "i-b" }?.tags == ["Team": "Web"])
        }
    }
}
