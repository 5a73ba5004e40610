import Discovery
import Foundation
import KubeCore
import TaggingAPI
import VTagTestSupport

/// Discovery of 5,000 EC2 instances from a local moto server. moto (Python, and quadratic in
/// tagged instances) dominates the wall time, so the figure that describes vtag is its own CPU
/// time (getrusage) per resource.
enum AWSDiscoveryBenchmark {
    static let instances = 5000
    static let region = "us-west-2"

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func run() async throws {
        let moto = try await LoopbackServer.moto()
        defer { moto.stop() }
        let endpoint = moto.endpoint

        let seedStart = ContinuousClock.now
        let seed = try await MotoServer.run(
            [
                "python3", MotoServer.fixtures.appendingPathComponent("seed_moto.py").path, "instances", "--endpoint", endpoint,
                "--region", region, "--count", String(instances), "--batch", "50",
            ], timeout: .seconds(3600))
        guard seed.status == 0 else { throw Failure(description: "seeding moto failed: \(seed.errorText)") }
        print("aws-discovery seed: \(instances) instances in \((ContinuousClock.now - seedStart).inSeconds) s (moto)")

        // 100 reservations of 50; moto pages by reservation, so 20 per page gives 5 pages of 1,000 instances.
        let provider = AWSProvider(
            settings: AWSDiscoverySettings(regions: [region], services: ["ec2:instance"], endpointURL: endpoint),
            credentials: StaticCredentialsProvider(accessKeyID: "testing", secretAccessKey: "testing"),
            // moto needs minutes for a page of 1,000 tagged instances out of 5,000 on a busy machine.
            options: .init(pageSize: 20, requestTimeout: .seconds(900)))
        for round in 1...1 {
            let cpuBefore = ProcessUsage.cpuSeconds()
            let start = ContinuousClock.now
            var found = 0
            var pages = 0
            var failures: [DiscoveryFailure] = []
            for try await event in provider.discover() {
                switch event {
                case .resources(let page):
                    found += page.count
                    pages += 1
                case .failure(let failure): failures.append(failure)
                }
            }
            let wall = (ContinuousClock.now - start).inSeconds
            let cpu = ProcessUsage.cpuSeconds() - cpuBefore
            guard failures.isEmpty, found == instances else {
                throw Failure(description: "found \(found) of \(instances), failures: \(failures)")
            }
            print("aws-discovery round \(round): resources: \(found) in \(pages) pages")
            print("aws-discovery round \(round): wall: \(String(format: "%.2f", wall)) s")
            print("aws-discovery round \(round): vtag cpu: \(String(format: "%.3f", cpu)) s")
            print("aws-discovery round \(round): vtag cpu per 1000 resources: \(String(format: "%.1f", cpu * 1000 / Double(found) * 1000)) ms")
        }
    }
}
