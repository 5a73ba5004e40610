import CloudAPITestServers
import Foundation
import Testing
@testable import VTagCLI

/// `plan --job` for a gcp and an azure job, against their API stand-ins on loopback: the job's Secret (or the
/// caller's environment) signs in, and what the project or resource group carries is inherited.
@Suite("kubectl vtag plan --job (gcp, azure)")
struct PlanCloudJobTests {
    static func tags(_ resource: [String: Any]) -> [String: (value: String, source: String)] {
        var out: [String: (String, String)] = [:]
        for tag in resource["tags"] as? [[String: Any]] ?? [] {
            if let key = tag["key"] as? String { out[key] = (tag["value"] as? String ?? "", tag["source"] as? String ?? "") }
        }
        return out
    }

    @Test("a gcp job plans with the key in GOOGLE_APPLICATION_CREDENTIALS, and resources inherit their project's labels")
    func gcpJob() async throws {
        let account = try GCPTestServiceAccount()
        let options = CloudAssetTestServer.Options(trusting: account)
        let project = "//cloudresourcemanager.googleapis.com/projects/410000000001"
        // Most instances carry their project's team themselves: the agreement inheritance is calibrated on.
        let assets = [
            GCPTestAsset(
                name: project, assetType: "cloudresourcemanager.googleapis.com/Project", project: "projects/410000000001",
                displayName: "shop-prod", location: "global", labels: ["team": "payments", "env": "prod"], parentFullResourceName: ""),
        ] + (0..<40).map { i in
            GCPTestAsset(
                name: "//compute.googleapis.com/projects/shop-prod/zones/europe-west1-b/instances/node-\(i)", assetType: "compute.googleapis.com/Instance",
                project: "projects/410000000001", displayName: "node-\(i)", location: "europe-west1-b",
                labels: i == 0 ? [:] : ["team": "payments", "env": "prod"], parentFullResourceName: project)
        }
        let cloud = CloudAssetTestServer(estate: ["projects/shop-prod": assets], options: options)
        try await cloud.start()
        defer { Task { await cloud.stop() } }
        let endpoint = await cloud.endpoint

        let files = try ScratchFiles("plan-gcp")
        defer { files.remove() }
        let key = try files.write("key.json", String(decoding: account.keyFile(tokenURI: "\(endpoint)/token"), as: UTF8.self))
        let job = try files.write("job.yaml", """
            apiVersion: vtag.dev/v1alpha1
            kind: DiscoveryJob
            metadata: {name: gcp-test}
            spec:
              provider: gcp
              gcp:
                scopes: [projects/shop-prod]
                endpointURL: \(endpoint)
            """)
        let r = await ProcessEnvironment.$current.withValue(["GOOGLE_APPLICATION_CREDENTIALS": key]) {
            await runCLI(["plan", "--job", job, "-o", "json"])
        }
        #expect(r.error == nil, "\(message(r.error))")
        #expect(r.err.contains("GOOGLE_APPLICATION_CREDENTIALS"))
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let resources = try #require(doc["resources"] as? [[String: Any]])
        #expect(resources.count == 41)
        let bare = try #require(resources.first { ($0["id"] as? String)?.hasSuffix("/instances/node-0") == true })
        let tags = Self.tags(bare)
        #expect(tags["team"]?.value == "payments" && tags["team"]?.source == "inherited", "\(bare)")
    }

    @Test("an azure job plans with the Secret in its file, and resources inherit their resource group's tags")
    func azureJob() async throws {
        let subscription = "8f1e0c2a-1111-4a5b-9c3d-000000000001"
        let options = ResourceGraphTestServer.Options()
        let group = "/subscriptions/\(subscription)/resourceGroups/rg-payments"
        let rows = [
            AzureTestRow(id: group, name: "rg-payments", type: "microsoft.resources/subscriptions/resourcegroups", location: "westeurope",
                         resourceGroup: "rg-payments", subscriptionId: subscription, tags: ["team": "payments"]),
        ] + (0..<40).map { i in
            AzureTestRow(id: "\(group)/providers/Microsoft.Compute/disks/disk-\(i)", name: "disk-\(i)", type: "microsoft.compute/disks",
                         location: "westeurope", resourceGroup: "rg-payments", subscriptionId: subscription, tags: i == 0 ? nil : ["team": "payments"])
        }
        let cloud = ResourceGraphTestServer(rows: rows, options: options)
        try await cloud.start()
        defer { Task { await cloud.stop() } }
        let endpoint = await cloud.endpoint

        let files = try ScratchFiles("plan-azure")
        defer { files.remove() }
        let job = try files.write("job.yaml", """
            apiVersion: v1
            kind: Secret
            metadata: {name: azure-sp}
            stringData: {tenant_id: \(options.tenantID), client_id: \(options.clientID), client_secret: \(options.clientSecret)}
            ---
            apiVersion: vtag.dev/v1alpha1
            kind: DiscoveryJob
            metadata: {name: azure-test}
            spec:
              provider: azure
              azure:
                subscriptions: [\(subscription)]
                credentialsSecretRef: {name: azure-sp}
                endpointURL: \(endpoint)
                authorityURL: \(endpoint)
            """)
        let r = await runCLI(["plan", "--job", job, "-o", "json"])
        #expect(r.error == nil, "\(message(r.error))")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let resources = try #require(doc["resources"] as? [[String: Any]])
        #expect(resources.count == 41)
        let bare = try #require(resources.first { ($0["id"] as? String)?.hasSuffix("/disks/disk-0") == true })
        let tags = Self.tags(bare)
        #expect(tags["team"]?.value == "payments" && tags["team"]?.source == "inherited", "\(bare)")
    }
}
