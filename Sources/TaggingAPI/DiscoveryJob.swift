import Foundation
import KubeCore

/// A schedule for inventorying one cloud account (or a simulated estate, or an inventory file).
public struct DiscoveryJob: HasStatus, Equatable {
    public static let resource = ResourceDescriptor(
        group: VTag.group, version: VTag.version, kind: "DiscoveryJob", plural: "discoveryjobs", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: DiscoveryJobSpec
    public var status: DiscoveryJobStatus?

    public init(metadata: ObjectMeta, spec: DiscoveryJobSpec, status: DiscoveryJobStatus? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

public enum DiscoveryProviderKind: String, Codable, Sendable, Hashable, CaseIterable {
    case aws, gcp, azure, simulated, inventory
}

public struct DiscoveryJobSpec: Codable, Sendable, Hashable {
    public var provider: DiscoveryProviderKind
    /// 5-field cron (minute hour day-of-month month day-of-week), UTC. Absent: run once.
    public var schedule: String?
    /// A scheduled run missed by more than this many seconds is skipped (like CronJob's).
    public var startingDeadlineSeconds: Int64?
    public var suspend: Bool?
    public var aws: AWSDiscoverySettings?
    public var gcp: GCPDiscoverySettings?
    public var azure: AzureDiscoverySettings?
    public var simulated: SimulatedDiscoverySettings?
    public var inventory: InventoryDiscoverySettings?
    /// Delete resources that stayed vanished for vanishedTTL. Default true.
    public var pruneVanished: Bool?
    /// Go duration ("24h", "90m"). Default "24h".
    public var vanishedTTL: String?

    public init(
        provider: DiscoveryProviderKind, schedule: String? = nil, startingDeadlineSeconds: Int64? = nil, suspend: Bool? = nil,
        aws: AWSDiscoverySettings? = nil, gcp: GCPDiscoverySettings? = nil, azure: AzureDiscoverySettings? = nil,
        simulated: SimulatedDiscoverySettings? = nil, inventory: InventoryDiscoverySettings? = nil, pruneVanished: Bool? = nil,
        vanishedTTL: String? = nil
    ) {
        self.provider = provider
        self.schedule = schedule
        self.startingDeadlineSeconds = startingDeadlineSeconds
        self.suspend = suspend
        self.aws = aws
        self.gcp = gcp
        self.azure = azure
        self.simulated = simulated
        self.inventory = inventory
        self.pruneVanished = pruneVanished
        self.vanishedTTL = vanishedTTL
    }

    // The schema's defaults; the API server fills them in, these cover objects that did not pass through it.
    public static let defaultVanishedTTL = "24h"
    public var effectiveSuspend: Bool { suspend ?? false }
    public var effectivePruneVanished: Bool { pruneVanished ?? true }
    public var effectiveVanishedTTL: String { vanishedTTL ?? Self.defaultVanishedTTL }
    /// vanishedTTL in seconds; nil when it is not a Go duration (the schema's pattern refuses those).
    public var vanishedTTLSeconds: Double? { try? GoDuration.parse(effectiveVanishedTTL) }
}

public struct AWSDiscoverySettings: Codable, Sendable, Hashable {
    /// The types listed directly (tagged or not), then `tagging:resource`: every other tagged resource
    /// through the Resource Groups Tagging API.
    public static let allServices = [
        "ec2:instance", "ec2:volume", "rds:db", "s3:bucket", "elbv2:loadbalancer", "lambda:function", "ecs:cluster", "ecs:service",
        "dynamodb:table", "sqs:queue", "sns:topic", "eks:cluster", "elasticache:cluster", "tagging:resource",
    ]
    /// Short names a person may write in `services` instead of the type.
    public static let serviceAliases: [String: String] = [
        "ec2": "ec2:instance", "ebs": "ec2:volume", "rds": "rds:db", "s3": "s3:bucket", "elbv2": "elbv2:loadbalancer",
        "lambda": "lambda:function", "dynamodb": "dynamodb:table", "sqs": "sqs:queue", "sns": "sns:topic", "eks": "eks:cluster",
        "elasticache": "elasticache:cluster", "tagging": "tagging:resource",
    ]
    /// Every value the schema's enum accepts: the types, then the short names.
    public static let acceptedServices = allServices + [
        "ec2", "ebs", "rds", "s3", "elbv2", "lambda", "dynamodb", "sqs", "sns", "eks", "elasticache", "tagging",
    ]

    public var regions: [String]
    /// Resource types to list (`allServices` or their `serviceAliases`, the schema's enum); default all of them.
    public var services: [String]?
    /// A Secret in the job's namespace holding the credentials; absent: the operator's own
    /// (environment or web identity).
    public var credentialsSecretRef: AWSCredentialsSecretRef?
    /// Role to assume with the base credentials.
    public var roleARN: String?
    public var externalID: String?
    /// An AWS-compatible endpoint (e.g. a moto server) used for every service.
    public var endpointURL: String?
    /// Opt-in: write applied virtual tags onto the resources after each run.
    public var writeBack: AWSWriteBackSettings?

    public init(
        regions: [String], services: [String]? = nil, credentialsSecretRef: AWSCredentialsSecretRef? = nil,
        roleARN: String? = nil, externalID: String? = nil, endpointURL: String? = nil, writeBack: AWSWriteBackSettings? = nil
    ) {
        self.regions = regions
        self.services = services
        self.credentialsSecretRef = credentialsSecretRef
        self.roleARN = roleARN
        self.externalID = externalID
        self.endpointURL = endpointURL
        self.writeBack = writeBack
    }
}

public struct AWSCredentialsSecretRef: Codable, Sendable, Hashable {
    public static let defaultAccessKeyIDKey = "aws_access_key_id"
    public static let defaultSecretAccessKeyKey = "aws_secret_access_key"
    public static let defaultSessionTokenKey = "aws_session_token"

    public var name: String
    public var accessKeyIDKey: String?
    public var secretAccessKeyKey: String?
    public var sessionTokenKey: String?

    public init(name: String, accessKeyIDKey: String? = nil, secretAccessKeyKey: String? = nil, sessionTokenKey: String? = nil) {
        self.name = name
        self.accessKeyIDKey = accessKeyIDKey
        self.secretAccessKeyKey = secretAccessKeyKey
        self.sessionTokenKey = sessionTokenKey
    }

    public var effectiveAccessKeyIDKey: String { accessKeyIDKey ?? Self.defaultAccessKeyIDKey }
    public var effectiveSecretAccessKeyKey: String { secretAccessKeyKey ?? Self.defaultSecretAccessKeyKey }
    public var effectiveSessionTokenKey: String { sessionTokenKey ?? Self.defaultSessionTokenKey }
}

public struct SimulatedDiscoverySettings: Codable, Sendable, Hashable {
    /// The clouds a simulated estate can hold (the schema's enum for `clouds`).
    public static let allClouds = ["aws", "gcp", "azure"]

    public var count: Int
    public var seed: Int64?
    /// aws, gcp, azure; default all three.
    public var clouds: [String]?

    public init(count: Int, seed: Int64? = nil, clouds: [String]? = nil) {
        self.count = count
        self.seed = seed
        self.clouds = clouds
    }
}

public struct InventoryDiscoverySettings: Codable, Sendable, Hashable {
    public var configMapRef: ConfigMapKeyRef
    /// csv or json; default: from the key's extension, else sniffed.
    public var format: InventoryFormat?

    public init(configMapRef: ConfigMapKeyRef, format: InventoryFormat? = nil) {
        self.configMapRef = configMapRef
        self.format = format
    }
}

public enum InventoryFormat: String, Codable, Sendable, Hashable, CaseIterable {
    case csv, json
}

public struct ConfigMapKeyRef: Codable, Sendable, Hashable {
    public var name: String
    public var key: String

    public init(name: String, key: String) {
        self.name = name
        self.key = key
    }
}

public struct DiscoveryJobStatus: Codable, Sendable, Hashable {
    public var conditions: [Condition]?
    public var lastScheduleTime: Date?
    public var nextScheduleTime: Date?
    public var lastSuccessfulTime: Date?
    /// The run in progress, if any: the marker that keeps two runs of one job from overlapping
    /// and lets a restarted operator finish it.
    public var activeRun: DiscoveryRun?
    public var lastRun: DiscoveryRun?
    /// The last few runs, newest first.
    public var history: [DiscoveryRun]?
    /// The value of the run-requested annotation already acted on.
    public var observedRunRequest: String?
    public var observedGeneration: Int64?

    public init(
        conditions: [Condition]? = nil, lastScheduleTime: Date? = nil, nextScheduleTime: Date? = nil,
        lastSuccessfulTime: Date? = nil, activeRun: DiscoveryRun? = nil, lastRun: DiscoveryRun? = nil,
        history: [DiscoveryRun]? = nil, observedRunRequest: String? = nil, observedGeneration: Int64? = nil
    ) {
        self.conditions = conditions
        self.lastScheduleTime = lastScheduleTime
        self.nextScheduleTime = nextScheduleTime
        self.lastSuccessfulTime = lastSuccessfulTime
        self.activeRun = activeRun
        self.lastRun = lastRun
        self.history = history
        self.observedRunRequest = observedRunRequest
        self.observedGeneration = observedGeneration
    }

    public static let historyLimit = 10
}

public struct DiscoveryRun: Codable, Sendable, Hashable {
    /// Why it ran: Schedule, Requested, Initial.
    public var trigger: String?
    public var startedAt: Date
    public var finishedAt: Date?
    public var discovered: Int
    public var created: Int
    public var updated: Int
    public var vanished: Int
    public var deleted: Int?
    /// How many provider calls or rows failed.
    public var errors: Int
    /// The first few error messages (at most `errorMessagesLimit`, each at most `errorMessageMaxLength`
    /// characters: the schema refuses more), each one a person can act on.
    public var errorMessages: [String]?
    /// What write-back did (aws jobs with spec.aws.writeBack).
    public var writeBack: WriteBackRun?

    public static let errorMessagesLimit = 20
    public static let errorMessageMaxLength = 4096

    public init(
        trigger: String? = nil, startedAt: Date, finishedAt: Date? = nil, discovered: Int = 0, created: Int = 0,
        updated: Int = 0, vanished: Int = 0, deleted: Int? = nil, errors: Int = 0, errorMessages: [String]? = nil,
        writeBack: WriteBackRun? = nil
    ) {
        self.trigger = trigger
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.discovered = discovered
        self.created = created
        self.updated = updated
        self.vanished = vanished
        self.deleted = deleted
        self.errors = errors
        self.errorMessages = errorMessages
        self.writeBack = writeBack
    }
}
