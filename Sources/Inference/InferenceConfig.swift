import TaggingAPI

/// Where a value's confidence sends it. Operator config; defaults from the original system.
public struct Thresholds: Codable, Sendable, Hashable {
    /// At or above: applied without a person.
    public var autoApply: Double
    /// At or above (and below autoApply): suggested to a person as a TagApproval. Below: discarded.
    public var suggest: Double

    public init(autoApply: Double = 0.90, suggest: Double = 0.70) {
        self.autoApply = autoApply
        self.suggest = suggest
    }

    public static let `default` = Thresholds()

    /// The decision for a value from an ordinary source (native, inherited, model, rule in Apply mode).
    public func decision(for confidence: Double) -> TagDecision {
        if confidence >= autoApply { return .apply }
        if confidence >= suggest { return .suggest }
        return .discard
    }
}

/// Fixed confidences of the sources that are not learned.
public enum SourceConfidence {
    public static let manual = 1.0
    public static let approval = 1.0
    /// A native tag after normalisation: people wrote it, but it may be stale or mistyped.
    public static let native = 0.98
}

/// Everything that shapes inference besides rules and the model. Codable so the operator can read it
/// from its config; every field has a default.
public struct InferenceConfig: Codable, Sendable, Hashable {
    public var thresholds: Thresholds
    /// Keys every resource should have; the ones still without an applied value are reported missing.
    public var requiredKeys: [String]
    public var normalisation: NormalisationTables
    public var inheritance: InheritancePolicy

    public init(
        thresholds: Thresholds = .default, requiredKeys: [String] = VTag.defaultRequiredKeys,
        normalisation: NormalisationTables = .default, inheritance: InheritancePolicy = .default
    ) {
        self.thresholds = thresholds
        self.requiredKeys = requiredKeys
        self.normalisation = normalisation
        self.inheritance = inheritance
    }

    public static let `default` = InferenceConfig()

    enum CodingKeys: String, CodingKey { case thresholds, requiredKeys, normalisation, inheritance }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        thresholds = try c.decodeIfPresent(Thresholds.self, forKey: .thresholds) ?? .default
        requiredKeys = try c.decodeIfPresent([String].self, forKey: .requiredKeys) ?? VTag.defaultRequiredKeys
        normalisation = try c.decodeIfPresent(NormalisationTables.self, forKey: .normalisation) ?? .default
        inheritance = try c.decodeIfPresent(InheritancePolicy.self, forKey: .inheritance) ?? .default
    }
}
