import Discovery
import Foundation
import TaggingAPI
import Testing
import VTagTestSupport

/// Paging at 2,000+ instances. moto's DescribeInstances grows quadratically with tagged instances,
/// so the estate stays at 2,000; small pages force many round trips with NextToken.
@Suite("AWS discovery against moto: paging", .timeLimit(.minutes(15)))
struct AWSMotoPagingTests {
    struct Fleet: Decodable {
        var region: String
        var instanceIds: [String]
    }

    @Test func pagesThroughTwoThousandInstances() async throws {
        let moto = try await LoopbackServer.moto()
        defer { moto.stop() }
        let region = "ap-southeast-2"
        // Ten instances per reservation (moto pages by reservation): 200 reservations.
        let fleet = try await MotoSupport.seed(
            Fleet.self, ["instances", "--endpoint", moto.endpoint, "--region", region, "--count", "2000", "--batch", "10"])
        #expect(fleet.instanceIds.count == 2000)

        let provider = AWSProvider(
            settings: AWSDiscoverySettings(regions: [region], services: ["ec2:instance"], endpointURL: moto.endpoint),
            credentials: StaticCredentialsProvider(accessKeyID: "testing", secretAccessKey: "testing"),
            options: .init(pageSize: 20))
        let outcome = try await discoverAll(provider, timeout: .seconds(600))

        #expect(outcome.failures.isEmpty, "\(outcome.failures)")
        #expect(outcome.pages >= 10, "expected many pages, got \(outcome.pages)")
        let found = outcome.resources.compactMap { $0.attributes?["instanceId"] }
        #expect(found.count == 2000)
        #expect(Set(found) == Set(fleet.instanceIds))
        #expect(outcome.resources.allSatisfy { $0.nativeTags?["fleet"] == "fleet" && $0.nativeTags?["team"] != nil })
    }
}
