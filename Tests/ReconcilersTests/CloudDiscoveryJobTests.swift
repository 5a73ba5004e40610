import CloudAPITestServers
import Discovery
import Foundation
import K8sClient
import KubeCore
import TaggingAPI
import Testing

@testable import Reconcilers

/// A gcp and an azure DiscoveryJob, through the providers the operator ships, against their clouds' API
/// stand-ins on loopback: every resource becomes a CloudResource with its native tags and relations, and a
/// denied scope is reported in the run while the others' resources are kept.
extension DiscoveryJobReconcilerTests {
    @Test func gcpJobDiscoversItsScopesWithAServiceAccountKeyAndReportsADeniedOne() async throws {
        let account = try GCPTestServiceAccount()
        var options = CloudAssetTestServer.Options(trusting: account)
        options.deniedScopes = ["folders/2002"]
        let project = "//cloudresourcemanager.googleapis.com/projects/410000000001"
        let assets = [
            GCPTestAsset(
                name: project, assetType: "cloudresourcemanager.googleapis.com/Project", project: "projects/410000000001",
                displayName: "shop-prod", location: "global", labels: ["team": "payments"], parentFullResourceName: "//cloudresourcemanager.googleapis.com/organizations/1001"),
        ] + (0..<30).map { i in
            GCPTestAsset(
                name: "//compute.googleapis.com/projects/shop-prod/zones/europe-west1-b/instances/web-\(i)", assetType: "compute.googleapis.com/Instance",
                project: "projects/410000000001", displayName: "web-\(i)", location: "europe-west1-b", labels: i % 2 == 0 ? ["env": "prod"] : [:],
                parentFullResourceName: project)
        }
        let cloud = CloudAssetTestServer(estate: ["organizations/1001": assets, "folders/2002": []], options: options)
        try await cloud.start()
        defer { Task { await cloud.stop() } }
        let endpoint = await cloud.endpoint

        try await withOperator(providers: DefaultProviders.factory) { client, _, _ in
            _ = try await Api<Secret>(client: client, namespace: "default").create(Secret(
                metadata: ObjectMeta(name: "gcp-key", namespace: "default"),
                stringData: ["key.json": String(decoding: account.keyFile(tokenURI: "\(endpoint)/token"), as: UTF8.self)]))
            let jobs = Api<DiscoveryJob>(client: client, namespace: "default")
            _ = try await jobs.create(DiscoveryJob(
                metadata: ObjectMeta(name: "gcp", namespace: "default"),
                spec: DiscoveryJobSpec(provider: .gcp, gcp: GCPDiscoverySettings(
                    scopes: ["organizations/1001", "folders/2002"], credentialsSecretRef: GCPCredentialsSecretRef(name: "gcp-key"),
                    endpointURL: endpoint))))
            // A bound, not a measurement: signing and TLS are slow under ThreadSanitizer on a loaded machine.
            try await eventually("the gcp run", timeout: .seconds(300)) { try await jobs.get("gcp").status?.lastRun?.finishedAt != nil }

            let run = try #require(try await jobs.get("gcp").status?.lastRun)
            #expect(run.discovered == 31)
            #expect(run.errors == 1)
            let message = try #require(run.errorMessages?.first)
            #expect(message.contains("folders/2002") && message.contains("cloudasset.assets.searchAllResources"), "\(message)")
            let items = try await Api<CloudResource>(client: client, namespace: "default").listAll().items
            #expect(items.count == 31)
            let web = try #require(items.first { $0.spec.id.hasSuffix("/instances/web-0") })
            #expect(web.spec.provider == "gcp")
            #expect(web.spec.nativeTags == ["env": "prod"])
            #expect(web.spec.account == "410000000001")
            #expect(web.spec.region == "europe-west1-b")
            #expect(web.spec.relations == [Relation(type: "InProject", target: project)])
            #expect(items.first { $0.spec.id == project }?.spec.nativeTags == ["team": "payments"])
        }
    }

    @Test func azureJobDiscoversItsSubscriptionsWithAClientSecretAndReportsADeniedOne() async throws {
        let (prod, denied) = ("8f1e0c2a-1111-4a5b-9c3d-000000000001", "8f1e0c2a-3333-4a5b-9c3d-000000000003")
        var options = ResourceGraphTestServer.Options()
        options.deniedScopes = [denied]
        let group = "/subscriptions/\(prod)/resourceGroups/rg-payments"
        let rows = [
            AzureTestRow(id: group, name: "rg-payments", type: "microsoft.resources/subscriptions/resourcegroups", location: "westeurope",
                         resourceGroup: "rg-payments", subscriptionId: prod, tags: ["team": "payments"]),
        ] + (0..<20).map { i in
            AzureTestRow(id: "\(group)/providers/Microsoft.Compute/virtualMachines/vm-\(i)", name: "vm-\(i)", type: "microsoft.compute/virtualmachines",
                         location: "westeurope", resourceGroup: "rg-payments", subscriptionId: prod, tags: i % 2 == 0 ? ["env": "prod"] : nil)
        }
        let cloud = ResourceGraphTestServer(rows: rows, options: options)
        try await cloud.start()
        defer { Task { await cloud.stop() } }
        let endpoint = await cloud.endpoint

        try await withOperator(providers: DefaultProviders.factory) { client, _, _ in
            _ = try await Api<Secret>(client: client, namespace: "default").create(Secret(
                metadata: ObjectMeta(name: "azure-sp", namespace: "default"),
                stringData: ["tenant_id": options.tenantID, "client_id": options.clientID, "client_secret": options.clientSecret]))
            let jobs = Api<DiscoveryJob>(client: client, namespace: "default")
            _ = try await jobs.create(DiscoveryJob(
                metadata: ObjectMeta(name: "azure", namespace: "default"),
                spec: DiscoveryJobSpec(provider: .azure, azure: AzureDiscoverySettings(
                    subscriptions: [denied, prod], credentialsSecretRef: AzureCredentialsSecretRef(name: "azure-sp"),
                    endpointURL: endpoint, authorityURL: endpoint))))
            try await eventually("the azure run", timeout: .seconds(300)) { try await jobs.get("azure").status?.lastRun?.finishedAt != nil }

            let run = try #require(try await jobs.get("azure").status?.lastRun)
            #expect(run.discovered == 21)
            #expect(run.errors == 1)
            let message = try #require(run.errorMessages?.first)
            #expect(message.contains(denied) && message.contains("Microsoft.ResourceGraph/resources/read"), "\(message)")
            let items = try await Api<CloudResource>(client: client, namespace: "default").listAll().items
            #expect(items.count == 21)
            let vm = try #require(items.first { $0.spec.id.hasSuffix("/virtualMachines/vm-0") })
            #expect(vm.spec.nativeTags == ["env": "prod"])
            #expect(vm.spec.relations?.contains(Relation(type: "InResourceGroup", target: group)) == true)
            #expect(items.first { $0.spec.id == group }?.spec.nativeTags == ["team": "payments"])
        }
    }

    @Test func azureJobWithoutSecretOrWorkloadIdentityNamesWhatIsMissing() async throws {
        let job = DiscoveryJob(
            metadata: ObjectMeta(name: "azure", namespace: "default"),
            spec: DiscoveryJobSpec(provider: .azure, azure: AzureDiscoverySettings(subscriptions: ["8f1e0c2a-1111-4a5b-9c3d-000000000001"])))
        let references = ReferenceReader(secret: { _, _ in nil }, configMap: { _, _ in nil })
        let error = await #expect(throws: ReconcileError.self) { try await GCPAndAzureProviders.azure(job, references, environment: [:]) }
        #expect(error?.reason == "NoCredentials")
        #expect(error?.description.contains("AZURE_FEDERATED_TOKEN_FILE") == true)
    }

    @Test func gcpJobWhoseSecretHoldsNoKeyFileSaysSo() async throws {
        let job = DiscoveryJob(
            metadata: ObjectMeta(name: "gcp", namespace: "default"),
            spec: DiscoveryJobSpec(provider: .gcp, gcp: GCPDiscoverySettings(scopes: ["projects/shop-prod"], credentialsSecretRef: .init(name: "k"))))
        let references = ReferenceReader(
            secret: { _, _ in Secret(metadata: ObjectMeta(name: "k"), stringData: ["key.json": #"{"type": "external_account"}"#]) },
            configMap: { _, _ in nil })
        let error = await #expect(throws: ReconcileError.self) { try await GCPAndAzureProviders.gcp(job, references, environment: [:]) }
        #expect(error?.reason == "InvalidCredentials")
        #expect(error?.description.contains("external_account") == true)
    }
}
