import CloudAPITestServers
@testable import Discovery
import Foundation
import TaggingAPI
import Testing

/// Azure discovery against a Resource Graph and Entra ID stand-in on loopback that answers in their wire
/// formats ($skipToken paging, ARM error bodies, 429 RateLimiting with Retry-After, the client-credentials grant).
@Suite struct AzureResourceGraphDiscoveryTests {
    static let prod = "8f1e0c2a-1111-4a5b-9c3d-000000000001"
    static let dev = "8f1e0c2a-2222-4a5b-9c3d-000000000002"
    static let options = AzureResourceGraphProvider.Options(
        retry: AWSRetryPolicy(maxAttempts: 6, baseDelay: .milliseconds(5), maxDelay: .seconds(2)))

    struct Running {
        var server: ResourceGraphTestServer
        var options: ResourceGraphTestServer.Options
        var endpoint: String

        var secret: AzureCredentials {
            AzureCredentials(tenantID: options.tenantID, clientID: options.clientID, proof: .clientSecret(options.clientSecret))
        }

        func provider(subscriptions: [String]? = nil, managementGroups: [String]? = nil, credentials: AzureCredentials? = nil) -> AzureResourceGraphProvider {
            AzureResourceGraphProvider(
                settings: AzureDiscoverySettings(
                    subscriptions: subscriptions, managementGroups: managementGroups, endpointURL: endpoint, authorityURL: endpoint),
                credentials: credentials ?? secret, options: AzureResourceGraphDiscoveryTests.options)
        }
    }

    static func start(_ rows: [AzureTestRow], configure: (inout ResourceGraphTestServer.Options) -> Void = { _ in }) async throws -> Running {
        var options = ResourceGraphTestServer.Options()
        configure(&options)
        let server = ResourceGraphTestServer(rows: rows, options: options)
        try await server.start()
        return Running(server: server, options: options, endpoint: await server.endpoint)
    }

    @Test func pagesThroughFiveThousandResourcesWithTagsGroupsAndSubscriptionsThroughThrottling() async throws {
        let estate = AzureTestEstate(subscriptions: [Self.prod, Self.dev], groups: 6, perSubscription: 2_500)
        let running = try await Self.start(estate.rows) {
            $0.throttleEvery = 4
            $0.retryAfterSeconds = 1
        }
        defer { Task { await running.server.stop() } }

        let outcome = try await discoverAll(running.provider(subscriptions: [Self.prod, Self.dev]))

        #expect(outcome.failures.isEmpty, "\(outcome.failures)")
        #expect(outcome.resources.count == estate.rows.count)  // 2 subscriptions, 12 groups, 5,000 resources
        let byID = outcome.byID
        for row in estate.rows where !row.type.hasPrefix("microsoft.resources/") {
            guard let found = byID[row.id] else {
                Issue.record("\(row.id) not discovered")
                continue
            }
            #expect(found.provider == "azure")
            #expect(found.nativeTags == (row.tags ?? [:]))
            #expect(found.account == row.subscriptionId)
            #expect(found.region == "westeurope")
            // The group it is in was discovered under the id the relation names, with the tags to inherit.
            let group = try #require(found.relations?.first { $0.type == "InResourceGroup" })
            let groupResource = try #require(byID[group.target], "\(group.target)")
            #expect(groupResource.type == "resources:resourcegroup")
            #expect(groupResource.nativeTags?["team"] != nil)
            #expect(found.relations?.contains(Relation(type: "InSubscription", target: "/subscriptions/\(row.subscriptionId)")) == true)
        }
        let vm = try #require(byID["\(AzureTestEstate.groupID(Self.prod, "RG-Shop-0"))/providers/Microsoft.Compute/virtualMachines/shop-0"])
        #expect(vm.type == "compute:virtualmachine")
        #expect(vm.attributes?["resourceGroup"] == "rg-shop-0")
        let subscription = try #require(byID["/subscriptions/\(Self.prod)"])
        #expect(subscription.type == "resources:subscription")
        #expect(subscription.nativeTags == ["cost-center": "cc-8f1e"])

        let counts = await running.server.counts
        #expect(counts.throttled > 0)
        #expect(counts.tops.allSatisfy { $0 == 1000 })
        #expect(counts.queries - counts.throttled == 8)  // per subscription: 1 containers page, 3 resource pages
        #expect(counts.tokensIssued == 1)
    }

    @Test func aDeniedSubscriptionIsReportedWithThePermissionAndTheOthersAreKept() async throws {
        let estate = AzureTestEstate(subscriptions: [Self.prod, Self.dev], groups: 2, perSubscription: 30)
        let running = try await Self.start(estate.rows) { $0.deniedScopes = [Self.dev] }
        defer { Task { await running.server.stop() } }

        let outcome = try await discoverAll(running.provider(subscriptions: [Self.dev, Self.prod]))

        #expect(Set(outcome.resources.map(\.account)) == [Self.prod])
        #expect(outcome.resources.count == estate.rows(inSubscription: Self.prod).count)
        let failure = try #require(outcome.failures.first)
        #expect(outcome.failures.count == 1)
        #expect(failure.scope == "azure subscription \(Self.dev)")
        #expect(failure.message.contains("Azure Resource Graph"))
        #expect(failure.message.contains("AuthorizationFailed"))
        #expect(failure.message.contains("Microsoft.ResourceGraph/resources/read"))
    }

    @Test func aManagementGroupListsItsSubscriptions() async throws {
        let estate = AzureTestEstate(subscriptions: [Self.prod, Self.dev], groups: 2, perSubscription: 10)
        let running = try await Self.start(estate.rows) { $0.managementGroups = ["shop-mg": [Self.prod, Self.dev]] }
        defer { Task { await running.server.stop() } }

        let outcome = try await discoverAll(running.provider(managementGroups: ["shop-mg"]))

        #expect(outcome.failures.isEmpty)
        #expect(outcome.resources.count == estate.rows.count)
    }

    @Test func workloadIdentitySignsInWithTheFederatedToken() async throws {
        let estate = AzureTestEstate(subscriptions: [Self.prod], groups: 1, perSubscription: 5)
        let running = try await Self.start(estate.rows)
        defer { Task { await running.server.stop() } }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("azure-identity-token-\(UUID().uuidString)")
        try Data((running.options.federatedToken + "\n").utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let credentials = try AzureCredentials.workloadIdentity(environment: [
            "AZURE_TENANT_ID": running.options.tenantID, "AZURE_CLIENT_ID": running.options.clientID, "AZURE_FEDERATED_TOKEN_FILE": file.path,
        ])

        let outcome = try await discoverAll(running.provider(subscriptions: [Self.prod], credentials: credentials))

        #expect(outcome.resources.count == estate.rows.count)
        #expect(await running.server.counts.federatedSignIns == 1)
    }

    @Test func workloadIdentityWithoutItsEnvironmentSaysWhatIsMissing() {
        let error = #expect(throws: DiscoveryError.self) {
            try AzureCredentials.workloadIdentity(environment: ["AZURE_TENANT_ID": "t"])
        }
        #expect(error?.description.contains("AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE") == true)
    }

    @Test func aWrongSecretFailsTheRunWithEntraIDsReason() async throws {
        let running = try await Self.start([])
        defer { Task { await running.server.stop() } }
        let wrong = AzureCredentials(tenantID: running.options.tenantID, clientID: running.options.clientID, proof: .clientSecret("stale"))

        let error = await #expect(throws: DiscoveryError.self) { try await discoverAll(running.provider(subscriptions: [Self.prod], credentials: wrong)) }
        #expect({ if case .signIn? = error { true } else { false } }())
        #expect(error?.description.contains("AADSTS7000215") == true)
        #expect(error?.description.contains(running.options.clientID) == true)
    }

    @Test func armTypesBecomeServiceColonKind() {
        #expect(AzureResourceRow.type(of: "microsoft.compute/virtualmachines") == "compute:virtualmachine")
        #expect(AzureResourceRow.type(of: "microsoft.network/publicipaddresses") == "network:publicipaddress")
        #expect(AzureResourceRow.type(of: "microsoft.sql/servers/databases") == "sql:database")
        #expect(AzureResourceRow.type(of: "microsoft.resources/subscriptions/resourcegroups") == "resources:resourcegroup")
        #expect(AzureResourceRow.type(of: "microsoft.keyvault/vaults") == "keyvault:vault")
    }
}
