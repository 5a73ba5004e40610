import Foundation

/// Which relations pass tags from a parent to a resource, which keys, and at most what confidence
/// (always below native). Operator config.
public struct InheritancePolicy: Codable, Sendable, Hashable {
    public struct Relation: Codable, Sendable, Hashable {
        /// The most an inherited value can be trusted; the learned agreement rate can only lower it.
        public var confidence: Double
        /// Keys passed along; nil passes every key.
        public var keys: [String]?

        public init(confidence: Double, keys: [String]? = nil) {
            self.confidence = confidence
            self.keys = keys
        }
    }

    /// Relation type (AttachedTo, InVPC, ...) -> how it passes tags. Earlier entries in `order` win.
    public var relations: [String: Relation]
    /// Relation types in order of preference when several parents have a value.
    public var order: [String]

    public init(relations: [String: Relation], order: [String]? = nil) {
        self.relations = relations
        self.order = order ?? relations.sorted { $0.value.confidence != $1.value.confidence
            ? $0.value.confidence > $1.value.confidence : $0.key < $1.key }.map(\.key)
    }

    /// A volume belongs to its instance's owners; a network's tags say little about the application on it.
    public static let `default` = InheritancePolicy(
        relations: [
            "AttachedTo": Relation(confidence: 0.92),
            "MemberOf": Relation(confidence: 0.88, keys: ["env", "team", "owner", "cost-center"]),
            "InResourceGroup": Relation(confidence: 0.88, keys: ["env", "team", "owner", "cost-center"]),
            // A GCP project or Azure subscription often belongs to one team and environment; less often than a group.
            "InProject": Relation(confidence: 0.86, keys: ["env", "team", "owner", "cost-center"]),
            "InSubscription": Relation(confidence: 0.84, keys: ["env", "team", "owner", "cost-center"]),
            "InVPC": Relation(confidence: 0.85, keys: ["env", "team", "cost-center"]),
            "InSubnet": Relation(confidence: 0.85, keys: ["env", "team", "cost-center"]),
            "InNetwork": Relation(confidence: 0.85, keys: ["env", "team", "cost-center"]),
        ],
        order: ["AttachedTo", "MemberOf", "InResourceGroup", "InProject", "InSubnet", "InVPC", "InNetwork", "InSubscription"])

    public func passes(_ relation: String, key: String) -> Relation? {
        guard let r = relations[relation] else { return nil }
        if let keys = r.keys, !keys.contains(key) { return nil }
        return r
    }
}

/// How often a resource's known value equals its parent's, per relation type and key, learned from
/// resources where both are known. It turns the policy's ceiling into a calibrated confidence.
public struct InheritanceStats: Codable, Sendable, Hashable {
    public struct Agreement: Codable, Sendable, Hashable {
        public var agree: Int
        public var total: Int
    }

    /// relation type -> key -> agreement.
    public var agreement: [String: [String: Agreement]]

    public init(agreement: [String: [String: Agreement]] = [:]) { self.agreement = agreement }

    /// Fewer observed pairs than this and the policy's confidence is used as is.
    static let minimumPairs = 30

    public mutating func record(relation: String, key: String, agrees: Bool) {
        var a = agreement[relation, default: [:]][key, default: Agreement(agree: 0, total: 0)]
        a.total += 1
        if agrees { a.agree += 1 }
        agreement[relation, default: [:]][key] = a
    }

    /// The policy's ceiling, lowered to the lower bound of the observed agreement rate (Wilson, z = 1.64).
    public func confidence(relation: String, key: String, ceiling: Double) -> Double {
        guard let a = agreement[relation]?[key], a.total >= Self.minimumPairs else { return ceiling }
        let n = Double(a.total), p = Double(a.agree) / n, z = 1.64
        let lower = (p + z * z / (2 * n) - z * ((p * (1 - p) + z * z / (4 * n)) / n).squareRoot()) / (1 + z * z / n)
        return min(ceiling, lower)
    }
}
