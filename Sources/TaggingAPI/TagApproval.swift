import Foundation
import KubeCore

/// A suggestion waiting for a person: one (key, value, source) for up to `maxResources` resources.
/// A person decides by writing `status.decision` (RBAC on tagapprovals/status is the right to decide).
public struct TagApproval: HasStatus, Equatable {
    public static let resource = ResourceDescriptor(
        group: VTag.group, version: VTag.version, kind: "TagApproval", plural: "tagapprovals", namespaced: true)

    /// The schema's maxItems for spec.resources; a larger group spills into further approvals.
    public static let maxResources = 200

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: TagApprovalSpec
    public var status: TagApprovalStatus?

    public init(metadata: ObjectMeta, spec: TagApprovalSpec, status: TagApprovalStatus? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

public struct TagApprovalSpec: Codable, Sendable, Hashable {
    public var key: String
    public var value: String
    public var source: TagSource
    /// The TaggingRule behind the suggestion, when the source is rule.
    public var rule: String?
    /// At most `TagApproval.maxResources`, names unique (the schema's list-map key).
    public var resources: [ApprovalResource] {
        didSet { resourceCount = resources.count }
    }
    /// `resources.count`, kept in step with `resources` (for the Resources column of `kubectl get`;
    /// the schema refuses a value that disagrees).
    public var resourceCount: Int?

    public init(key: String, value: String, source: TagSource, rule: String? = nil, resources: [ApprovalResource]) {
        self.key = key
        self.value = value
        self.source = source
        self.rule = rule
        self.resources = resources
        self.resourceCount = resources.count
    }
}

public struct ApprovalResource: Codable, Sendable, Hashable {
    /// CloudResource name in the approval's namespace.
    public var name: String
    public var confidence: Double
    public var reason: String

    public init(name: String, confidence: Double, reason: String) {
        self.name = name
        self.confidence = confidence
        self.reason = reason
    }
}

public enum ApprovalDecision: String, Codable, Sendable, Hashable, CaseIterable {
    case approved = "Approved", denied = "Denied"
}

public enum ApprovalPhase: String, Codable, Sendable, Hashable, CaseIterable {
    case pending = "Pending", approved = "Approved", denied = "Denied", applied = "Applied", expired = "Expired"
}

public struct TagApprovalStatus: Codable, Sendable, Hashable {
    /// Written by a person; the operator never changes it.
    public var decision: ApprovalDecision?
    /// Written by a person: why.
    public var reason: String?
    /// Written by a person: resources left out of the decision.
    public var excluded: [String]?
    /// Written by the CLI when it decides: who.
    public var decidedBy: String?
    public var decidedAt: Date?
    /// Written by the operator.
    public var phase: ApprovalPhase?
    public var appliedCount: Int?
    public var conditions: [Condition]?
    public var observedGeneration: Int64?

    public init(
        decision: ApprovalDecision? = nil, reason: String? = nil, excluded: [String]? = nil, decidedBy: String? = nil,
        decidedAt: Date? = nil, phase: ApprovalPhase? = nil, appliedCount: Int? = nil, conditions: [Condition]? = nil,
        observedGeneration: Int64? = nil
    ) {
        self.decision = decision
        self.reason = reason
        self.excluded = excluded
        self.decidedBy = decidedBy
        self.decidedAt = decidedAt
        self.phase = phase
        self.appliedCount = appliedCount
        self.conditions = conditions
        self.observedGeneration = observedGeneration
    }
}
