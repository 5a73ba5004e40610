import Foundation
import KubeCore

/// A tagging policy: which resources it matches and which tags it sets.
public struct TaggingRule: HasStatus, Equatable {
    public static let resource = ResourceDescriptor(
        group: VTag.group, version: VTag.version, kind: "TaggingRule", plural: "taggingrules", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: TaggingRuleSpec
    public var status: TaggingRuleStatus?

    public init(metadata: ObjectMeta, spec: TaggingRuleSpec, status: TaggingRuleStatus? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

public enum RuleMode: String, Codable, Sendable, Hashable, CaseIterable {
    /// Tags are applied when confident enough (rule confidence >= the auto-apply threshold).
    case apply = "Apply"
    /// Tags always go to a person as a TagApproval.
    case suggest = "Suggest"
    /// Matches are counted and reported; nothing is applied or suggested.
    case audit = "Audit"
}

public struct TaggingRuleSpec: Codable, Sendable, Hashable {
    /// Higher wins when two rules set the same key. Default 0.
    public var priority: Int?
    /// Default Apply.
    public var mode: RuleMode?
    /// Confidence of the tags this rule sets, in [0, 1]. Default 1.0.
    public var confidence: Double?
    /// Which resources the rule applies to; absent matches every resource.
    public var match: RuleMatch?
    /// The tags to set. A value may use `${name.GROUP}` (a named group of match.name.regex),
    /// `${tag.KEY}` (another tag's value), `${account}`, `${region}`, `${type}`, `${provider}`, `${name}`.
    public var tags: [RuleTag]
    /// false (default): fill a key only where the resource has no native value; true: the rule's value wins.
    public var `override`: Bool?
    public var description: String?

    public init(
        priority: Int? = nil, mode: RuleMode? = nil, confidence: Double? = nil, match: RuleMatch? = nil, tags: [RuleTag],
        override: Bool? = nil, description: String? = nil
    ) {
        self.priority = priority
        self.mode = mode
        self.confidence = confidence
        self.match = match
        self.tags = tags
        self.override = `override`
        self.description = description
    }

    public var effectivePriority: Int { priority ?? 0 }
    public var effectiveMode: RuleMode { mode ?? .apply }
    public var effectiveConfidence: Double { confidence ?? 1.0 }
    public var effectiveOverride: Bool { self.override ?? false }
}

public struct RuleMatch: Codable, Sendable, Hashable {
    public var providers: [String]?
    /// Resource types; a trailing `*` matches a prefix (`ec2:*`).
    public var types: [String]?
    public var accounts: [String]?
    public var regions: [String]?
    public var name: NameMatch?
    /// All matchers must hold (AND). They see native tags and tags inferred so far.
    public var tags: [TagMatcher]?

    public init(providers: [String]? = nil, types: [String]? = nil, accounts: [String]? = nil, regions: [String]? = nil, name: NameMatch? = nil, tags: [TagMatcher]? = nil) {
        self.providers = providers
        self.types = types
        self.accounts = accounts
        self.regions = regions
        self.name = name
        self.tags = tags
    }
}

public struct NameMatch: Codable, Sendable, Hashable {
    /// A regular expression over the resource name, with optional named groups `(?<team>[a-z]+)`.
    public var regex: String

    public init(regex: String) { self.regex = regex }
}

public enum MatchOperator: String, Codable, Sendable, Hashable, CaseIterable {
    case `in` = "In", notIn = "NotIn", exists = "Exists", doesNotExist = "DoesNotExist", matches = "Matches"
}

public struct TagMatcher: Codable, Sendable, Hashable {
    public var key: String
    public var `operator`: MatchOperator
    /// Required for In, NotIn, Matches (regexes); forbidden for Exists, DoesNotExist.
    public var values: [String]?

    public init(key: String, operator: MatchOperator, values: [String]? = nil) {
        self.key = key
        self.operator = `operator`
        self.values = values
    }
}

public struct RuleTag: Codable, Sendable, Hashable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

public struct TaggingRuleStatus: Codable, Sendable, Hashable {
    public var conditions: [Condition]?
    public var matchedResources: Int?
    public var lastEvaluatedAt: Date?
    public var observedGeneration: Int64?

    public init(conditions: [Condition]? = nil, matchedResources: Int? = nil, lastEvaluatedAt: Date? = nil, observedGeneration: Int64? = nil) {
        self.conditions = conditions
        self.matchedResources = matchedResources
        self.lastEvaluatedAt = lastEvaluatedAt
        self.observedGeneration = observedGeneration
    }
}
