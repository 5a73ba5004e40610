import Discovery
import Foundation
import TaggingAPI
import Testing
import VTagTestSupport

/// moto with its signature and IAM checks switched on (after the first few requests, which create
/// the IAM user whose key the rest use): a wrong signature fails instead of passing unnoticed.
///
/// Lambda and EKS are left out here: moto 5 verifies GET requests to Lambda against a payload hash of its own
/// parsed request data instead of the empty body, so no client passes it (boto3's own
/// `list_functions` gets SignatureDoesNotMatch too), and EKS's GETs fail its check the same way (boto3's
/// `list_clusters` too). Their signing is the generic non-S3 path, covered by the published vectors and by
/// every other service here.
@Suite("AWS discovery against moto: signatures and permissions checked", .timeLimit(.minutes(10)))
struct AWSMotoAuthTests {
    struct AccessKey: Decodable {
        var accessKeyId: String
        var secretAccessKey: String
    }

    struct Role: Decodable {
        var roleArn: String
    }

    @Test func signaturesAndPermissionsAreEnforced() async throws {
        // create_user, put_user_policy, create_access_key: exactly three unchecked requests.
        let moto = try await LoopbackServer.moto(environment: ["INITIAL_NO_AUTH_ACTION_COUNT": "3"])
        defer { moto.stop() }
        let admin = try await MotoSupport.seed(AccessKey.self, ["iam-user", "--endpoint", moto.endpoint, "--name", "discovery"])
        let signedAs = ["--access-key", admin.accessKeyId, "--secret-key", admin.secretAccessKey]
        let seeded = try await MotoSupport.seed(
            SeededEstate.self, ["estate", "--endpoint", moto.endpoint, "--regions", "us-east-1"] + signedAs)
        var estate = seeded
        let unsignable: Set = ["lambda:function", "eks:cluster"]
        estate.resources.removeAll { unsignable.contains($0.type) }
        let settings = AWSDiscoverySettings(
            regions: ["us-east-1"], services: AWSDiscoverySettings.allServices.filter { !unsignable.contains($0) },
            endpointURL: moto.endpoint)

        // The right key: every service's requests pass moto's signature check.
        let good = try await discoverAll(
            AWSProvider(
                settings: settings,
                credentials: StaticCredentialsProvider(accessKeyID: admin.accessKeyId, secretAccessKey: admin.secretAccessKey)))
        #expect(good.failures.isEmpty, "\(good.failures)")
        expectDiscovered(estate.resources, account: estate.account, in: good)

        // A wrong secret: the run fails at once, saying the credentials were rejected.
        await #expect {
            _ = try await discoverAll(
                AWSProvider(
                    settings: settings,
                    credentials: StaticCredentialsProvider(accessKeyID: admin.accessKeyId, secretAccessKey: "wrong" + admin.secretAccessKey)))
        } throws: { error in
            "\(error)".hasPrefix("credentials rejected by sts in us-east-1: SignatureDoesNotMatch")
        }

        // An access key moto never issued.
        await #expect {
            _ = try await discoverAll(
                AWSProvider(
                    settings: settings, credentials: StaticCredentialsProvider(accessKeyID: "AKIANOTAREALKEY00000", secretAccessKey: "x")))
        } throws: { error in
            "\(error)".hasPrefix("credentials rejected by sts in us-east-1: InvalidClientTokenId")
        }

        // A principal denied rds:DescribeDBInstances: that listing fails with the permission to grant;
        // everything else is still found.
        let limited = try await MotoSupport.seed(
            AccessKey.self,
            ["iam-user", "--endpoint", moto.endpoint, "--name", "limited", "--deny", "rds:DescribeDBInstances"] + signedAs)
        let partial = try await discoverAll(
            AWSProvider(
                settings: settings,
                credentials: StaticCredentialsProvider(accessKeyID: limited.accessKeyId, secretAccessKey: limited.secretAccessKey)))
        #expect(partial.failures.count == 1)
        #expect(partial.failures.first?.scope == "rds:db in us-east-1")
        #expect(
            partial.failures.first?.message.hasPrefix("not authorized to call rds:DescribeDBInstances in us-east-1: AccessDenied") == true,
            "\(partial.failures)")
        expectDiscovered(estate.resources.filter { $0.type != "rds:db" }, account: estate.account, in: partial)

        // roleARN with an external id: discovery runs on the assumed role's temporary credentials,
        // whose session token moto checks too.
        let userARN = "arn:aws:iam::\(estate.account):user/limited"
        let role = try await MotoSupport.seed(
            Role.self,
            ["iam-role", "--endpoint", moto.endpoint, "--name", "vtag-discovery", "--trust", userARN, "--external-id", "ext-42"]
                + signedAs)
        var assumed = settings
        assumed.roleARN = role.roleArn
        assumed.externalID = "ext-42"
        let viaRole = AWSProvider(
            settings: assumed,
            credentials: StaticCredentialsProvider(accessKeyID: limited.accessKeyId, secretAccessKey: limited.secretAccessKey))
        let identity = try await viaRole.callerIdentity()
        #expect(identity.arn.contains("assumed-role/vtag-discovery/"), "\(identity)")
        let all = try await discoverAll(viaRole)
        #expect(all.failures.isEmpty, "\(all.failures)")
        expectDiscovered(estate.resources, account: estate.account, in: all)
    }
}
