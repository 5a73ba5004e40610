import Foundation
import TaggingAPI

/// What a FOCUS file's cost comes to, by the values of the allocation keys: the groups per month, each
/// key's allocated share by source, and what stays unallocated and why. Amounts are exact decimals;
/// `allocated + unallocated == total` always.
public struct CostAllocation: Sendable, Encodable {
    /// The values of `by`, in `by` order, and their cost.
    public struct Group: Sendable, Encodable {
        public var values: [String]
        public var cost: Decimal
        /// Cost per month (`YYYY-MM`).
        public var months: [String: Decimal]
        let keys: [String]

        enum CodingKeys: String, CodingKey { case values, cost, months }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(Dictionary(uniqueKeysWithValues: zip(keys, values)), forKey: .values)
            try c.encode(cost, forKey: .cost)
            try c.encode(months, forKey: .months)
        }
    }

    public struct Month: Sendable, Encodable {
        public var month: String
        public var total: Decimal
        public var allocated: Decimal
        public var unallocated: Decimal
    }

    /// One key's share: the cost whose resource holds a value for the key, by the value's source.
    public struct KeyShare: Sendable, Encodable {
        public var key: String
        public var allocated: Decimal
        /// native, rule, inherited, model, approval, manual (sources with no cost left out).
        public var bySource: [String: Decimal]
        public var unallocated: Decimal
    }

    public struct Amount: Sendable, Encodable {
        public var cost: Decimal
        public var rows: Int
    }

    /// Why cost stays unallocated: the row names no resource, names one the estate does not hold,
    /// or the resource lacks a value for at least one key.
    public struct UnallocatedReasons: Sendable, Encodable {
        public var noResourceId: Amount
        public var resourceNotFound: Amount
        public var missingKeys: Amount
    }

    public struct UnallocatedResource: Sendable, Encodable {
        public var resourceId: String
        public var name: String?
        public var cost: Decimal
        public var rows: Int
        /// `not found` (no such resource in the estate) or `missing KEY, ...`.
        public var reason: String
    }

    public var by: [String]
    /// Rows added up.
    public var rows: Int
    /// Rows whose ResourceId named a resource of the estate.
    public var matchedRows: Int
    public var total: Decimal
    public var allocated: Decimal
    public var unallocated: Decimal
    public var currencies: [String]
    /// Over all months, largest first.
    public var groups: [Group]
    public var months: [Month]
    public var keys: [KeyShare]
    public var unallocatedReasons: UnallocatedReasons
    /// Largest first (the first `unallocatedResourcesShown`, if it was given).
    public var unallocatedResources: [UnallocatedResource]
    /// How many resources hold unallocated cost in all.
    public var unallocatedResourceCount: Int

    /// allocated / total (0 for a file with no cost).
    public var allocatedShare: Double { Self.ratio(allocated, total) }

    public static func ratio(_ part: Decimal, _ whole: Decimal) -> Double {
        whole == .zero ? 0 : NSDecimalNumber(decimal: part / whole).doubleValue
    }

    init(_ a: CostAllocator, unallocatedResourcesShown limit: Int?) {
        by = a.keys
        rows = a.rows
        matchedRows = a.matchedRows
        total = a.total
        currencies = a.currencies.sorted()

        var overall: [[String]: Group] = [:]
        var allocatedByMonth: [String: Decimal] = [:]
        for (g, cost) in a.groups {
            overall[g.values, default: Group(values: g.values, cost: .zero, months: [:], keys: a.keys)].cost += cost
            overall[g.values]!.months[g.month, default: .zero] += cost
            allocatedByMonth[g.month, default: .zero] += cost
        }
        groups = overall.values.sorted { $0.cost != $1.cost ? $0.cost > $1.cost : $0.values.lexicographicallyPrecedes($1.values) }
        allocated = groups.reduce(Decimal.zero) { $0 + $1.cost }
        unallocated = a.noResourceId.cost + a.unknownResource.cost + a.missingKey.cost
        months = a.months.keys.sorted().map { m in
            let f = a.months[m]!
            return Month(month: m, total: f.total, allocated: allocatedByMonth[m] ?? .zero, unallocated: f.unallocated)
        }
        keys = a.keys.indices.map { k in
            let sources = a.keySources[k]
            return KeyShare(
                key: a.keys[k], allocated: sources.values.reduce(Decimal.zero, +),
                bySource: Dictionary(uniqueKeysWithValues: sources.map { ($0.key.rawValue, $0.value) }),
                unallocated: a.keyUnallocated[k])
        }
        unallocatedReasons = UnallocatedReasons(
            noResourceId: Amount(cost: a.noResourceId.cost, rows: a.noResourceId.rows),
            resourceNotFound: Amount(cost: a.unknownResource.cost, rows: a.unknownResource.rows),
            missingKeys: Amount(cost: a.missingKey.cost, rows: a.missingKey.rows))
        let sorted = a.unallocatedResources.sorted { $0.value.cost != $1.value.cost ? $0.value.cost > $1.value.cost : $0.key < $1.key }
        unallocatedResourceCount = sorted.count
        unallocatedResources = sorted.prefix(limit ?? sorted.count).map { id, f in
            guard let i = f.resource else {
                return UnallocatedResource(resourceId: id, name: nil, cost: f.cost, rows: f.rows, reason: "not found")
            }
            let r = a.index.resources[i]
            let missing = a.keys.filter { r.tags[$0] == nil }
            return UnallocatedResource(
                resourceId: id, name: r.name, cost: f.cost, rows: f.rows, reason: "missing " + missing.joined(separator: ", "))
        }
    }
}
