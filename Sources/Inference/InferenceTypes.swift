import TaggingAPI

/// What happens to an inferred value.
public enum TagDecision: String, Codable, Sendable, Hashable, CaseIterable {
    /// Applied without a person (confidence >= auto-apply, or a manual/approved/native value).
    case apply
    /// Sent to a person as a TagApproval.
    case suggest
    /// Too uncertain to show anyone.
    case discard
    /// Set by an Audit rule: only reported and counted.
    case audit
}

/// The outcome for one key of one resource.
public struct InferredTag: Codable, Sendable, Hashable {
    public var key: String
    public var value: String
    public var confidence: Double
    public var source: TagSource
    public var decision: TagDecision
    /// Why, for a person: the rule and what it matched, the native tag, the parent, or the model's evidence.
    public var reason: String
    /// The TaggingRule behind a rule value.
    public var rule: String?
    /// The related resource (id) an inherited value came from.
    public var parent: String?

    public init(key: String, value: String, confidence: Double, source: TagSource, decision: TagDecision, reason: String,
                rule: String? = nil, parent: String? = nil) {
        self.key = key
        self.value = value
        self.confidence = confidence
        self.source = source
        self.decision = decision
        self.reason = reason
        self.rule = rule
        self.parent = parent
    }

    /// As a CloudResource status entry.
    public func virtualTag(approval: String? = nil) -> VirtualTag {
        VirtualTag(key: key, value: value, source: source, confidence: confidence, rule: rule, approval: approval, reason: reason)
    }
}

/// One resource to infer tags for, with what people decided about it.
public struct InferenceInput: Sendable, Hashable {
    public var spec: CloudResourceSpec
    /// Values people approved (key -> value); they rank just below manual tags.
    public var approved: [String: String]
    /// Values people denied: never suggested or applied again for this resource.
    public var rejected: [RejectedTag]

    public init(spec: CloudResourceSpec, approved: [String: String] = [:], rejected: [RejectedTag] = []) {
        self.spec = spec
        self.approved = approved
        self.rejected = rejected
    }
}

/// Everything inferred for one resource.
public struct InferenceResult: Codable, Sendable, Hashable {
    /// At most one entry per key, sorted by key; decisions apply, suggest or discard.
    public var tags: [InferredTag]
    /// What Audit rules would set (decision audit); never applied or suggested.
    public var audits: [InferredTag]
    /// Required keys without an applied value (a suggested value is still missing until approved).
    public var missingKeys: [String]
    /// Rules that matched the resource (for TaggingRule status.matchedResources), sorted.
    public var matchedRules: [String]
    public var modelVersion: String?

    public var applied: [InferredTag] { tags.filter { $0.decision == .apply } }
    public var suggested: [InferredTag] { tags.filter { $0.decision == .suggest } }
    public func tag(_ key: String) -> InferredTag? { tags.first { $0.key == key } }
}
