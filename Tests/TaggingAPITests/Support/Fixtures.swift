import Foundation
import KubeCore
import TaggingAPI

/// Fully populated values of every kind: every optional set, every collection non-empty (checked by
/// `unsetFields`), so encoding one shows every field its Swift type has.
enum Fixtures {
    static let time = Date(timeIntervalSince1970: 1_790_000_000)
    static let meta = ObjectMeta(name: "fixture", namespace: "default")

    static func conditions(_ type: String) -> [Condition] {
        [Condition(type: type, status: .true, observedGeneration: 3, lastTransitionTime: time, reason: "Evaluated", message: "all good")]
    }

    static var taggingRule: TaggingRule {
        TaggingRule(
            metadata: meta,
            spec: TaggingRuleSpec(
                priority: 10, mode: .suggest, confidence: 0.8,
                match: RuleMatch(
                    providers: ["aws"], types: ["ec2:*"], accounts: ["123456789012"], regions: ["eu-west-1"],
                    name: NameMatch(regex: "^(?<team>[a-z]+)-(?<env>prod|dev)-.*$"),
                    tags: [TagMatcher(key: "Owner", operator: .in, values: ["alice", "bob"])]),
                tags: [RuleTag(key: "team", value: "${name.team}")],
                override: true, description: "team and env from the naming convention"),
            status: TaggingRuleStatus(conditions: conditions("Ready"), matchedResources: 42, lastEvaluatedAt: time, observedGeneration: 3))
    }

    static var run: DiscoveryRun {
        DiscoveryRun(
            trigger: "Schedule", startedAt: time, finishedAt: time.addingTimeInterval(30), discovered: 1000, created: 10,
            updated: 5, vanished: 2, deleted: 1, errors: 1, errorMessages: ["rds:db in eu-west-1: throttled, retried 5 times"],
            writeBack: WriteBackRun(dryRun: true, resources: 3, tags: 4, calls: 2, failed: 1,
                                    plannedCalls: ["TagResources eu-west-1 {team=payments} arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc"]))
    }

    static var discoveryJob: DiscoveryJob {
        DiscoveryJob(
            metadata: meta,
            spec: DiscoveryJobSpec(
                provider: .aws, schedule: "0 */6 * * *", startingDeadlineSeconds: 300, suspend: false,
                aws: AWSDiscoverySettings(
                    regions: ["us-east-1", "eu-west-1"], services: ["ec2:instance", "s3:bucket"],
                    credentialsSecretRef: AWSCredentialsSecretRef(
                        name: "aws-credentials", accessKeyIDKey: "id", secretAccessKeyKey: "secret", sessionTokenKey: "token"),
                    roleARN: "arn:aws:iam::123456789012:role/vtag-read-only", externalID: "vtag-external-id",
                    endpointURL: "http://127.0.0.1:5000",
                    writeBack: AWSWriteBackSettings(keys: ["team", "cost-center"], mode: .overwrite, dryRun: true)),
                gcp: GCPDiscoverySettings(
                    scopes: ["folders/123456", "projects/shop-prod"], assetTypes: ["compute.googleapis.com/Instance"],
                    credentialsSecretRef: GCPCredentialsSecretRef(name: "gcp-key", key: "sa.json"), endpointURL: "http://127.0.0.1:8080"),
                azure: AzureDiscoverySettings(
                    subscriptions: ["00000000-0000-0000-0000-000000000001"], managementGroups: ["finance-mg"],
                    credentialsSecretRef: AzureCredentialsSecretRef(
                        name: "azure-sp", tenantIDKey: "tenant", clientIDKey: "client", clientSecretKey: "secret"),
                    endpointURL: "http://127.0.0.1:8081", authorityURL: "http://127.0.0.1:8082"),
                simulated: SimulatedDiscoverySettings(count: 1000, seed: 7, clouds: ["aws", "gcp"]),
                inventory: InventoryDiscoverySettings(configMapRef: ConfigMapKeyRef(name: "inventory", key: "estate.csv"), format: .csv),
                pruneVanished: true, vanishedTTL: "36h"),
            status: DiscoveryJobStatus(
                conditions: conditions("Ready"), lastScheduleTime: time, nextScheduleTime: time, lastSuccessfulTime: time,
                activeRun: run, lastRun: run, history: [run], observedRunRequest: "2026-01-02T03:04:05Z", observedGeneration: 2))
    }

    static var tagApproval: TagApproval {
        TagApproval(
            metadata: meta,
            spec: TagApprovalSpec(
                key: "team", value: "payments", source: .rule, rule: "team-from-name",
                resources: [ApprovalResource(name: "aws-i-0abc-1234567890", confidence: 0.8, reason: "name matches ^pay-")]),
            status: TagApprovalStatus(
                decision: .approved, reason: "checked with the payments team", excluded: ["aws-i-0def-1234567890"],
                decidedBy: "alice@example.com", decidedAt: time, phase: .applied, appliedCount: 1,
                conditions: conditions("Applied"), observedGeneration: 1))
    }

    static var cloudResource: CloudResource {
        CloudResource(
            metadata: meta,
            spec: CloudResourceSpec(
                provider: "aws", id: "arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc", type: "ec2:instance",
                name: "payments-prod-api", account: "123456789012", region: "eu-west-1",
                nativeTags: ["Name": "payments-prod-api"], attributes: ["instanceType": "m5.large"],
                relations: [Relation(type: "InVPC", target: "vpc-0123")], manualTags: ["owner": "alice"]),
            status: CloudResourceStatus(
                phase: .active, vanishedAt: time,
                virtualTags: [VirtualTag(key: "team", value: "payments", source: .rule, confidence: 1, rule: "team-from-name",
                                         approval: "team-payments-1", reason: "name matches", appliedAt: time)],
                missingKeys: ["cost-center"],
                rejected: [RejectedTag(key: "env", value: "dev", approval: "env-dev-1", reason: "it is prod", rejectedAt: time)],
                history: [TagHistoryEntry(time: time, action: .changed, key: "team", old: "pay", new: "payments", actor: "rule/team-from-name")],
                writtenBack: [WrittenBackTag(key: "team", value: "payments", writtenAt: time, job: "aws-prod")],
                conditions: conditions("Compliant"), evaluatedAt: time, modelVersion: "m-20260102", observedGeneration: 1))
    }
}
