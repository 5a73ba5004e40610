import Foundation
import KubeCore

/// One cloud resource, written by discovery (spec) and the tagger (status).
public struct CloudResource: HasStatus, Equatable {
    public static let resource = ResourceDescriptor(
        group: VTag.group, version: VTag.version, kind: "CloudResource", plural: "cloudresources", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: CloudResourceSpec
    public var status: CloudResourceStatus?

    public init(metadata: ObjectMeta, spec: CloudResourceSpec, status: CloudResourceStatus? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

public struct CloudResourceSpec: Codable, Sendable, Hashable {
    /// The cloud: aws, gcp or azure.
    public var provider: String
    /// ARN or the provider's own id; unique within the provider.
    public var id: String
    /// Service and resource type, e.g. `ec2:instance`, `rds:db`, `compute:instance`.
    public var type: String
    public var name: String?
    /// AWS account, GCP project or Azure subscription.
    public var account: String?
    public var region: String?
    /// Tags as the cloud reports them, unnormalised.
    public var nativeTags: [String: String]?
    /// Provider facts worth keeping (instance type, engine, state, ...).
    public var attributes: [String: String]?
    public var relations: [Relation]?
    /// Written only by people (kubectl vtag tag/untag); discovery never touches it.
    /// A manual tag wins over every other source; an empty value removes the key.
    public var manualTags: [String: String]?

    public init(
        provider: String, id: String, type: String, name: String? = nil, account: String? = nil, region: String? = nil,
        nativeTags: [String: String]? = nil, attributes: [String: String]? = nil, relations: [Relation]? = nil,
        manualTags: [String: String]? = nil
    ) {
        self.provider = provider
        self.id = id
        self.type = type
        self.name = name
        self.account = account
        self.region = region
        self.nativeTags = nativeTags
        self.attributes = attributes
        self.relations = relations
        self.manualTags = manualTags
    }
}

/// A directed edge to another resource, by its provider id.
public struct Relation: Codable, Sendable, Hashable {
    /// AttachedTo, InVPC, InSubnet, MemberOf, SecuredBy, ...
    public var type: String
    /// The related resource's id (ARN or provider id).
    public var target: String

    public init(type: String, target: String) {
        self.type = type
        self.target = target
    }
}

public enum TagSource: String, Codable, Sendable, Hashable, CaseIterable {
    case native, rule, inherited, model, approval, manual
}

public enum ResourcePhase: String, Codable, Sendable, Hashable, CaseIterable {
    /// Seen by the last discovery run.
    case active = "Active"
    /// Not seen by the last run; deleted after the job's vanishedTTL.
    case vanished = "Vanished"
}

public struct CloudResourceStatus: Codable, Sendable, Hashable {
    public var phase: ResourcePhase?
    /// When discovery first missed the resource.
    public var vanishedAt: Date?
    /// One per key (the schema's list-map key), at most `virtualTagsLimit`.
    public var virtualTags: [VirtualTag]? {
        didSet { tagCount = virtualTags?.count }
    }
    /// `virtualTags.count`, kept in step with `virtualTags` (for the Tags column of `kubectl get`).
    public var tagCount: Int?
    /// Required keys that still have no applied value.
    public var missingKeys: [String]?
    /// key/value pairs a person denied: never suggested again for this resource.
    public var rejected: [RejectedTag]?
    /// The last changes to virtual tags, newest last, at most `historyLimit`.
    public var history: [TagHistoryEntry]?
    /// Virtual tags a DiscoveryJob's write-back put onto the cloud resource (one per key, the latest).
    public var writtenBack: [WrittenBackTag]?
    public var conditions: [Condition]?
    public var evaluatedAt: Date?
    public var modelVersion: String?
    public var observedGeneration: Int64?

    public init(
        phase: ResourcePhase? = nil, vanishedAt: Date? = nil, virtualTags: [VirtualTag]? = nil, missingKeys: [String]? = nil,
        rejected: [RejectedTag]? = nil, history: [TagHistoryEntry]? = nil, writtenBack: [WrittenBackTag]? = nil,
        conditions: [Condition]? = nil, evaluatedAt: Date? = nil, modelVersion: String? = nil, observedGeneration: Int64? = nil
    ) {
        self.phase = phase
        self.vanishedAt = vanishedAt
        self.virtualTags = virtualTags
        self.tagCount = virtualTags?.count
        self.missingKeys = missingKeys
        self.rejected = rejected
        self.history = history
        self.writtenBack = writtenBack
        self.conditions = conditions
        self.evaluatedAt = evaluatedAt
        self.modelVersion = modelVersion
        self.observedGeneration = observedGeneration
    }

    /// Bounds of the lists, equal to (or below) the schema's maxItems: a longer list is refused by the API server.
    public static let historyLimit = 100
    public static let virtualTagsLimit = 512
    public static let rejectedLimit = 512
    public static let missingKeysLimit = 256
    public static let writtenBackLimit = 50
}

/// An applied virtual tag and why it is there.
public struct VirtualTag: Codable, Sendable, Hashable {
    public var key: String
    public var value: String
    public var source: TagSource
    public var confidence: Double
    /// The TaggingRule that set it (source rule).
    public var rule: String?
    /// The TagApproval that approved it (source approval).
    public var approval: String?
    public var reason: String
    public var appliedAt: Date?

    public init(
        key: String, value: String, source: TagSource, confidence: Double, rule: String? = nil, approval: String? = nil,
        reason: String, appliedAt: Date? = nil
    ) {
        self.key = key
        self.value = value
        self.source = source
        self.confidence = confidence
        self.rule = rule
        self.approval = approval
        self.reason = reason
        self.appliedAt = appliedAt
    }
}

public struct RejectedTag: Codable, Sendable, Hashable {
    public var key: String
    public var value: String
    public var approval: String?
    public var reason: String?
    public var rejectedAt: Date?

    public init(key: String, value: String, approval: String? = nil, reason: String? = nil, rejectedAt: Date? = nil) {
        self.key = key
        self.value = value
        self.approval = approval
        self.reason = reason
        self.rejectedAt = rejectedAt
    }
}

public struct TagHistoryEntry: Codable, Sendable, Hashable {
    public enum Action: String, Codable, Sendable, Hashable, CaseIterable {
        case applied = "Applied", changed = "Changed", removed = "Removed", rejected = "Rejected"
        /// Written onto the cloud resource by write-back (old: the native value it replaced).
        case writtenBack = "WrittenBack"
    }

    public var time: Date
    public var action: Action
    public var key: String
    public var old: String?
    public var new: String?
    /// Who or what: `rule/NAME`, `model`, `approval/NAME by USER`, `manual`, `native`, `writeback/JOB`.
    public var actor: String

    public init(time: Date, action: Action, key: String, old: String? = nil, new: String? = nil, actor: String) {
        self.time = time
        self.action = action
        self.key = key
        self.old = old
        self.new = new
        self.actor = actor
    }
}
