import Foundation

/// One cost row of a FOCUS export, reduced to what allocation needs.
public struct FOCUSCharge: Sendable, Hashable {
    /// The row's first line in its file (1-based, the header is line 1).
    public var line: Int
    /// The provider's id of the resource; nil for charges tied to no resource (tax, support, requests).
    public var resourceId: String?
    /// ServiceProviderName (FOCUS 1.3), else ProviderName: "Amazon Web Services", "Microsoft", ...
    public var providerName: String?
    /// The amount in the chosen cost column, exact.
    public var cost: Decimal
    /// The month of ChargePeriodStart, `YYYY-MM` (UTC, as FOCUS writes it).
    public var month: String
    public var currency: String?

    public init(line: Int, resourceId: String?, providerName: String?, cost: Decimal, month: String, currency: String?) {
        self.line = line
        self.resourceId = resourceId
        self.providerName = providerName
        self.cost = cost
        self.month = month
        self.currency = currency
    }
}

/// The FOCUS cost columns a report can add up (FOCUS 1.0 and later all have them).
public enum FOCUSCostColumn: String, Sendable, Hashable, CaseIterable {
    /// Amortised cost after discounts: what FinOps allocates (the default).
    case effectiveCost = "EffectiveCost"
    /// What the invoice charges.
    case billedCost = "BilledCost"
    case listCost = "ListCost"
    case contractedCost = "ContractedCost"
}

/// A row that could not be used, with where it is and why.
public struct FOCUSProblem: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var reason: String

    public var description: String { "\(file) line \(line): \(reason)" }
}
