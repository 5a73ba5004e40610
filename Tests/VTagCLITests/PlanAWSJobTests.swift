import Foundation
import Testing
@testable import VTagCLI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `plan --job` for an AWS job, against a real moto server on loopback (CI installs moto[server] and boto3).
@Suite("kubectl vtag plan --job (aws, moto)")
struct PlanAWSJobTests {
    /// The Discovery tests' moto launcher: exits when its stdin (held by this process) closes.
    let motoChild = repositoryRoot.appendingPathComponent("Tests/DiscoveryTests/Fixtures/moto_child.py").path

    func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        try #require(ok, "cannot bind a loopback port")
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Runs python3 with `args` to completion within `timeout`; returns status and stderr.
    func python(_ args: [String], timeout: Duration = .seconds(120)) async throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3"] + args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let deadline = ContinuousClock.now + timeout
        while p.isRunning {
            if ContinuousClock.now > deadline { p.terminate(); Issue.record("python3 \(args.first ?? "") timed out"); break }
            try await Task.sleep(for: .milliseconds(50))
        }
        return (p.terminationStatus, String(decoding: err.fileHandleForReading.readDataToEndOfFile().suffix(2000), as: UTF8.self))
    }

    @Test("the job's resources are discovered with the caller's AWS environment credentials and planned with the rules")
    func awsJob() async throws {
        let (check, why) = try await python(["-c", "import moto.server, boto3"])
        try #require(check == 0, "moto is not installed for python3: python3 -m pip install 'moto[server]' boto3 (\(why))")

        let port = try freePort()
        let moto = Process()
        moto.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        moto.arguments = ["python3", motoChild, String(port)]
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

        let seed = """
            import boto3, time
            kw = dict(endpoint_url="\(endpoint)", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
            for _ in range(200):
                try:
                    ec2 = boto3.client("ec2", **kw); ec2.describe_regions(); break
                except Exception:
                    time.sleep(0.1)
            ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t3.micro",
                TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "payments-prod-api-01"}, {"Key": "Owner", "Value": "ana@example.com"}]}])
            boto3.client("s3", **kw).create_bucket(Bucket="payments-prod-logs")
            """
        let (seeded, seedError) = try await python(["-c", seed])
        try #require(seeded == 0, "seeding moto failed: \(seedError)")

        let files = try ScratchFiles("plan-aws")
        defer { files.remove() }
        let job = try files.write("job.yaml", """
            apiVersion: v1
            kind: Secret
            metadata: {name: fake}
            stringData: {aws_access_key_id: WRONG, aws_secret_access_key: WRONG}
            ---
            apiVersion: vtag.dev/v1alpha1
            kind: DiscoveryJob
            metadata: {name: aws-test}
            spec:
              provider: aws
              aws:
                regions: [us-east-1]
                services: ["ec2:instance", "s3:bucket"]
                credentialsSecretRef: {name: fake}
                endpointURL: \(endpoint)
            """)

        let rules = repositoryRoot.appendingPathComponent("examples/taggingrules.yaml").path
        let r = await ProcessEnvironment.$current.withValue(["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"]) {
            await runCLI(["plan", "--job", job, "--rules", rules, "-o", "json"])
        }
        #expect(r.error == nil, "\(message(r.error))")
        #expect(r.err.contains("not the Secret fake"))
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let resources = try #require(doc["resources"] as? [[String: Any]])
        #expect(Set(resources.compactMap { $0["type"] as? String }) == ["ec2:instance", "s3:bucket"], "\(r.out.prefix(2000)) \(r.err)")
        let instance = try #require(resources.first { $0["type"] as? String == "ec2:instance" })
        #expect(instance["name"] as? String == "payments-prod-api-01")
        let tags = try #require(instance["tags"] as? [[String: Any]])
        #expect(tags.contains { $0["key"] as? String == "team" && $0["value"] as? String == "payments" && $0["source"] as? String == "rule" })
        #expect(tags.contains { $0["key"] as? String == "owner" && $0["value"] as? String == "ana@example.com" })
    }
}
