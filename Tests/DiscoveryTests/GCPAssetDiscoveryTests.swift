import CloudAPITestServers
@testable import Discovery
import Foundation
import TaggingAPI
import Testing

/// GCP discovery against a Cloud Asset Inventory stand-in on loopback that answers in the v1 REST wire
/// format (paging tokens, Google's error bodies, 429 RESOURCE_EXHAUSTED) and checks the service account's
/// signed JWT the way Google's token endpoint does.
@Suite struct GCPAssetDiscoveryTests {
    static let shop = GCPTestEstate.Project(id: "shop-prod", number: "410000000001", labels: ["team": "payments", "env": "prod"])
    static let data = GCPTestEstate.Project(id: "data-lake", number: "410000000002", labels: ["team": "data"])

    /// Fast retries: the test server throttles often.
    static let options = GCPAssetProvider.Options(retry: AWSRetryPolicy(maxAttempts: 6, baseDelay: .milliseconds(5), maxDelay: .milliseconds(50)))

    struct Running {
        var server: CloudAssetTestServer
        var account: GCPTestServiceAccount
        var endpoint: String

        func provider(scopes: [String], key: Data? = nil, assetTypes: [String]? = nil) throws -> GCPAssetProvider {
            let keyFile = try GCPServiceAccountKey(json: key ?? account.keyFile(tokenURI: "\(endpoint)/token"), source: "test key")
            return GCPAssetProvider(
                settings: GCPDiscoverySettings(scopes: scopes, assetTypes: assetTypes, endpointURL: endpoint),
                credentials: .serviceAccountKey(keyFile), options: GCPAssetDiscoveryTests.options)
        }
    }

    static func start(_ estate: [String: [GCPTestAsset]], configure: (inout CloudAssetTestServer.Options) -> Void = { _ in }) async throws -> Running {
        let account = try GCPTestServiceAccount()
        var options = CloudAssetTestServer.Options(trusting: account)
        configure(&options)
        let server = CloudAssetTestServer(estate: estate, options: options)
        try await server.start()
        return Running(server: server, account: account, endpoint: await server.endpoint)
    }

    @Test func pagesThroughFiveThousandResourcesWithLabelsPlacesAndProjectsThroughThrottling() async throws {
        let estate = GCPTestEstate(projects: [Self.shop, Self.data], perProject: 2_500)
        let running = try await Self.start(["organizations/1001": estate.assets]) { $0.throttleEvery = 3 }
        defer { Task { await running.server.stop() } }

        let outcome = try await discoverAll(try running.provider(scopes: ["organizations/1001"]))

        #expect(outcome.failures.isEmpty, "\(outcome.failures)")
        #expect(outcome.resources.count == estate.assets.count)
        let byID = outcome.byID
        #expect(byID.count == 5_002)
        for asset in estate.assets {
            guard let found = byID[asset.name] else {
                Issue.record("\(asset.name) not discovered")
                continue
            }
            #expect(found.provider == "gcp")
            #expect(found.nativeTags == asset.labels)
            #expect(found.account == String(asset.project.dropFirst("projects/".count)))
            #expect(found.region == asset.location)
            #expect(found.name == asset.displayName)
        }
        let instance = try #require(byID["//compute.googleapis.com/projects/shop-prod/zones/europe-west1-b/instances/shop-prod-compute-0"])
        #expect(instance.type == "compute:instance")
        #expect(instance.attributes?["projectId"] == "shop-prod")
        #expect(instance.relations == [Relation(type: "InProject", target: GCPTestEstate.projectName(Self.shop.number))])
        // The project is discovered too, so the relation's target carries the labels to inherit.
        let project = try #require(byID[GCPTestEstate.projectName(Self.shop.number)])
        #expect(project.type == "cloudresourcemanager:project")
        #expect(project.nativeTags == Self.shop.labels)
        #expect(project.relations == nil)

        let counts = await running.server.counts
        #expect(counts.throttled > 0)
        #expect(counts.pageSizes.allSatisfy { $0 == 500 })
        #expect(counts.searches - counts.throttled == 11)  // 5,002 resources in pages of 500
        #expect(counts.tokensIssued == 1)
    }

    @Test func aDeniedScopeIsReportedWithThePermissionAndTheOtherScopesAreKept() async throws {
        let estate = GCPTestEstate(projects: [Self.shop, Self.data], perProject: 40)
        let running = try await Self.start([
            "projects/shop-prod": estate.assets(inProjects: [Self.shop.number]),
            "projects/data-lake": estate.assets(inProjects: [Self.data.number]),
        ]) { $0.deniedScopes = ["projects/data-lake"] }
        defer { Task { await running.server.stop() } }

        let outcome = try await discoverAll(try running.provider(scopes: ["projects/data-lake", "projects/shop-prod"]))

        #expect(Set(outcome.resources.map(\.id)) == Set(estate.assets(inProjects: [Self.shop.number]).map(\.name)))
        let failure = try #require(outcome.failures.first)
        #expect(outcome.failures.count == 1)
        #expect(failure.scope == "gcp projects/data-lake")
        #expect(failure.message.contains("Cloud Asset API searchAllResources"))
        #expect(failure.message.contains("PERMISSION_DENIED"))
        #expect(failure.message.contains("cloudasset.assets.searchAllResources"))
    }

    @Test func everyScopeDeniedFailsTheRun() async throws {
        let running = try await Self.start(["folders/2001": []]) { $0.deniedScopes = ["folders/2001"] }
        defer { Task { await running.server.stop() } }
        let error = await #expect(throws: DiscoveryError.self) { try await discoverAll(try running.provider(scopes: ["folders/2001"])) }
        #expect({ if case .cloudAPI? = error { true } else { false } }())
    }

    @Test func assetTypesNarrowTheSearch() async throws {
        let estate = GCPTestEstate(projects: [Self.shop], perProject: 30)
        let running = try await Self.start(["projects/shop-prod": estate.assets])
        defer { Task { await running.server.stop() } }

        let outcome = try await discoverAll(
            try running.provider(scopes: ["projects/shop-prod"], assetTypes: ["storage.googleapis.com/Bucket"]))

        #expect(outcome.resources.count == 10)
        #expect(outcome.resources.allSatisfy { $0.type == "storage:bucket" })
    }

    @Test func workloadIdentityTakesItsTokenFromTheMetadataServer() async throws {
        let estate = GCPTestEstate(projects: [Self.shop], perProject: 1_200)
        let running = try await Self.start(["projects/shop-prod": estate.assets])
        defer { Task { await running.server.stop() } }
        let provider = GCPAssetProvider(
            settings: GCPDiscoverySettings(scopes: ["projects/shop-prod"], endpointURL: running.endpoint),
            credentials: .metadataServer(environment: ["GCE_METADATA_HOST": running.endpoint.replacingOccurrences(of: "http://", with: "")]),
            options: Self.options)

        let outcome = try await discoverAll(provider)

        #expect(outcome.resources.count == estate.assets.count)
        let counts = await running.server.counts
        #expect(counts.metadataTokens == 1)  // one token for all three pages
        #expect(counts.tokensIssued == 0)
    }

    @Test func aKeyTheTokenEndpointRejectsFailsTheRunNamingTheServiceAccount() async throws {
        let running = try await Self.start(["projects/shop-prod": []])
        defer { Task { await running.server.stop() } }
        let stranger = try GCPTestServiceAccount(email: running.account.email)  // same name, another key

        let error = await #expect(throws: DiscoveryError.self) {
            try await discoverAll(try running.provider(scopes: ["projects/shop-prod"], key: stranger.keyFile(tokenURI: "\(running.endpoint)/token")))
        }
        #expect({ if case .signIn? = error { true } else { false } }())
        #expect(error?.description.contains("Invalid JWT Signature") == true)
        #expect(error?.description.contains(running.account.email) == true)
    }

    @Test func aFileThatIsNotAServiceAccountKeySaysWhatItIs() throws {
        let user = Data(#"{"type": "authorized_user", "client_id": "x", "refresh_token": "y"}"#.utf8)
        let error = #expect(throws: DiscoveryError.self) { try GCPServiceAccountKey(json: user, source: "Secret vtag/gcp-key key key.json") }
        #expect(error?.description.contains("authorized_user") == true)
        #expect(error?.description.contains("Secret vtag/gcp-key") == true)

        let truncated = Data(#"{"type": "service_account", "client_email": "a@b.iam.gserviceaccount.com", "private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}"#.utf8)
        let bad = #expect(throws: DiscoveryError.self) { try GCPServiceAccountKey(json: truncated, source: "key.json") }
        #expect(bad?.description.contains("not an RSA private key") == true)
    }

    @Test func assetTypesBecomeServiceColonKind() {
        #expect(GCPAsset.type(of: "compute.googleapis.com/Instance") == "compute:instance")
        #expect(GCPAsset.type(of: "sqladmin.googleapis.com/Instance") == "sqladmin:instance")
        #expect(GCPAsset.type(of: "container.googleapis.com/NodePool") == "container:nodepool")
    }
}
