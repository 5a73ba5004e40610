import Foundation
import Testing
import VTagTestSupport
@testable import VTagCLI

/// `plan --job` for an AWS job, against a real moto server on loopback (CI installs moto[server] and boto3).
@Suite("kubectl vtag plan --job (aws, moto)")
struct PlanAWSJobTests {
    @Test("the job's resources are discovered with the caller's AWS environment credentials and planned with the rules")
    func awsJob() async throws {
        let moto = try await LoopbackServer.moto()
        defer { moto.stop() }
        let endpoint = moto.endpoint

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
        let seeded = try await MotoServer.run(["python3", "-c", seed], timeout: .seconds(120))
        try #require(seeded.status == 0, "seeding moto failed: \(seeded.errorText)")

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
