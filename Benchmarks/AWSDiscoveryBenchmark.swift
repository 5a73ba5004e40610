import Discovery
import Foundation
import TaggingAPI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Discovery of 5,000 EC2 instances from a local moto server. moto (Python, and quadratic in
/// tagged instances) dominates the wall time, so the figure that describes vtag is its own CPU
/// time (getrusage) per resource.
enum AWSDiscoveryBenchmark {
    static let instances = 5000
    static let region = "us-west-2"
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tests/DiscoveryTests/Fixtures")

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func run() async throws {
        let port = try freePort()
        let moto = Process()
        moto.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        moto.arguments = ["python3", fixtures.appendingPathComponent("moto_child.py").path, String(port)]
        let stdin = Pipe()
        moto.standardInput = stdin
        moto.standardOutput = FileHandle.nullDevice
        moto.standardError = FileHandle.nullDevice
        try moto.run()
        defer {
            moto.terminate()
            try? stdin.fileHandleForWriting.close()
        }
        let endpoint = "http://127.0.0.1:\(port)"
        let deadline = ContinuousClock.now + .seconds(60)
        while !accepts(port: port) {
            guard moto.isRunning, ContinuousClock.now < deadline else {
                throw Failure(description: "moto did not start (python3 -m pip install 'moto[server]' boto3)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }

        let seedStart = ContinuousClock.now
        let seed = Process()
        seed.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        seed.arguments = [
            "python3", fixtures.appendingPathComponent("seed_moto.py").path, "instances", "--endpoint", endpoint, "--region", region,
            "--count", String(instances), "--batch", "50",
        ]
        seed.standardOutput = FileHandle.nullDevice
        try seed.run()
        while seed.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        guard seed.terminationStatus == 0 else { throw Failure(description: "seeding moto failed") }
        print("aws-discovery seed: \(instances) instances in \(ProcessUsage.seconds(ContinuousClock.now - seedStart)) s (moto)")

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
            let wall = ProcessUsage.seconds(ContinuousClock.now - start)
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



    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw Failure(description: "cannot bind a loopback port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
