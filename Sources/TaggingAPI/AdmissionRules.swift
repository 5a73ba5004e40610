/// The CRDs' cross-field CEL rules (`x-kubernetes-validations`), in Swift.
///
/// A real API server refuses objects that break them at admission. These checks let the parts that
/// never meet a real server (the in-process test server, `kubectl vtag plan`, an operator reading objects
/// admitted before a rule existed) give the same answer with the same message. The messages are the
/// CRDs' messages verbatim; a test keeps the two in step.
public struct AdmissionViolation: Sendable, Hashable, CustomStringConvertible {
    /// Path of the offending field, e.g. `spec.match.tags[0].values`.
    public var field: String
    /// The CRD rule's message.
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

/// The messages of every CEL rule in crds/, per kind.
public enum AdmissionMessage {
    public enum TaggingRule {
        public static let nameGroupNeedsRegex = "a tag value uses ${name.GROUP} but spec.match.name.regex is not set"
        public static let matcherValues =
            "values must be a non-empty list for operators In, NotIn and Matches, and must be omitted for Exists and DoesNotExist"
        public static let reservedAWSPrefix = "tag keys starting with aws: are reserved by AWS"
        public static let all = [nameGroupNeedsRegex, matcherValues, reservedAWSPrefix]
    }

    public enum DiscoveryJob {
        public static let awsNeedsSettings = "provider aws needs spec.aws (at least spec.aws.regions)"
        public static let simulatedNeedsSettings = "provider simulated needs spec.simulated (at least spec.simulated.count)"
        public static let inventoryNeedsSettings = "provider inventory needs spec.inventory (at least spec.inventory.configMapRef)"
        public static let awsOnlyForAWS = "spec.aws is only allowed when provider is aws"
        public static let gcpNeedsSettings = "provider gcp needs spec.gcp (at least spec.gcp.scopes)"
        public static let gcpOnlyForGCP = "spec.gcp is only allowed when provider is gcp"
        public static let azureNeedsSettings = "provider azure needs spec.azure (at least spec.azure.subscriptions or spec.azure.managementGroups)"
        public static let azureOnlyForAzure = "spec.azure is only allowed when provider is azure"
        public static let azureNeedsScope = "spec.azure needs at least one of subscriptions or managementGroups"
        public static let simulatedOnlyForSimulated = "spec.simulated is only allowed when provider is simulated"
        public static let inventoryOnlyForInventory = "spec.inventory is only allowed when provider is inventory"
        public static let writeBackReservedAWSPrefix = "write-back keys starting with aws: are reserved by AWS and cannot be written"
        public static let all = [
            awsNeedsSettings, simulatedNeedsSettings, inventoryNeedsSettings,
            awsOnlyForAWS, simulatedOnlyForSimulated, inventoryOnlyForInventory, writeBackReservedAWSPrefix,
            gcpNeedsSettings, gcpOnlyForGCP, azureNeedsSettings, azureOnlyForAzure, azureNeedsScope,
        ]
    }

    public enum TagApproval {
        public static let ruleSourceNeedsRule = "spec.rule is required when source is rule"
        public static let resourceCountMatches = "spec.resourceCount must equal the number of spec.resources"
        public static let decisionIsFinal =
            "status.decision is final once made: create a new approval or edit the resources' manualTags instead"
        public static let all = [ruleSourceNeedsRule, resourceCountMatches, decisionIsFinal]
    }

    public enum CloudResource {
        public static let all: [String] = []
    }
}

extension TaggingRuleSpec {
    /// What the CRD's CEL rules would refuse in this spec.
    public func admissionViolations() -> [AdmissionViolation] {
        typealias M = AdmissionMessage.TaggingRule
        var out: [AdmissionViolation] = []
        if tags.contains(where: { $0.value.contains("${name.") }), match?.name == nil {
            out.append(.init(field: "spec.tags", message: M.nameGroupNeedsRegex))
        }
        for (i, matcher) in (match?.tags ?? []).enumerated() {
            let needsValues = [MatchOperator.in, .notIn, .matches].contains(matcher.operator)
            let ok = needsValues ? !(matcher.values ?? []).isEmpty : matcher.values == nil
            if !ok { out.append(.init(field: "spec.match.tags[\(i)].values", message: M.matcherValues)) }
        }
        for (i, tag) in tags.enumerated() where tag.key.hasPrefix("aws:") {
            out.append(.init(field: "spec.tags[\(i)].key", message: M.reservedAWSPrefix))
        }
        return out
    }
}

extension DiscoveryJobSpec {
    /// What the CRD's CEL rules would refuse in this spec.
    public func admissionViolations() -> [AdmissionViolation] {
        typealias M = AdmissionMessage.DiscoveryJob
        var out: [AdmissionViolation] = []
        if provider == .aws, aws == nil { out.append(.init(field: "spec", message: M.awsNeedsSettings)) }
        if provider == .simulated, simulated == nil { out.append(.init(field: "spec", message: M.simulatedNeedsSettings)) }
        if provider == .inventory, inventory == nil { out.append(.init(field: "spec", message: M.inventoryNeedsSettings)) }
        if aws != nil, provider != .aws { out.append(.init(field: "spec.aws", message: M.awsOnlyForAWS)) }
        if provider == .gcp, gcp == nil { out.append(.init(field: "spec", message: M.gcpNeedsSettings)) }
        if gcp != nil, provider != .gcp { out.append(.init(field: "spec.gcp", message: M.gcpOnlyForGCP)) }
        if provider == .azure, azure == nil { out.append(.init(field: "spec", message: M.azureNeedsSettings)) }
        if azure != nil, provider != .azure { out.append(.init(field: "spec.azure", message: M.azureOnlyForAzure)) }
        if let azure, (azure.subscriptions ?? []).isEmpty, (azure.managementGroups ?? []).isEmpty {
            out.append(.init(field: "spec.azure", message: M.azureNeedsScope))
        }
        if simulated != nil, provider != .simulated {
            out.append(.init(field: "spec.simulated", message: M.simulatedOnlyForSimulated))
        }
        if inventory != nil, provider != .inventory {
            out.append(.init(field: "spec.inventory", message: M.inventoryOnlyForInventory))
        }
        if let keys = aws?.writeBack?.keys, keys.contains(where: { $0.lowercased().hasPrefix("aws:") }) {
            out.append(.init(field: "spec.aws.writeBack.keys", message: M.writeBackReservedAWSPrefix))
        }
        return out
    }
}

extension TagApprovalSpec {
    /// What the CRD's CEL rules would refuse in this spec.
    public func admissionViolations() -> [AdmissionViolation] {
        typealias M = AdmissionMessage.TagApproval
        var out: [AdmissionViolation] = []
        if source == .rule, rule == nil { out.append(.init(field: "spec", message: M.ruleSourceNeedsRule)) }
        if let count = resourceCount, count != resources.count {
            out.append(.init(field: "spec.resourceCount", message: M.resourceCountMatches))
        }
        return out
    }
}

extension TagApprovalStatus {
    /// What the CRD's transition rule would refuse when `self` replaces `old`: a decision, once made, stays.
    public func admissionViolations(replacing old: TagApprovalStatus?) -> [AdmissionViolation] {
        guard let decided = old?.decision, decision != decided else { return [] }
        return [.init(field: "status.decision", message: AdmissionMessage.TagApproval.decisionIsFinal)]
    }
}

extension AdmissionMessage {
    /// The messages of a kind's CEL rules.
    public static func messages(for kind: String) -> [String] {
        switch kind {
        case "TaggingRule": TaggingRule.all
        case "DiscoveryJob": DiscoveryJob.all
        case "TagApproval": TagApproval.all
        case "CloudResource": CloudResource.all
        default: []
        }
    }
}
