import Foundation
import TaggingAPI

/// Adds FOCUS charges up by the values resources hold for `keys`, as they stream past: memory grows
/// with the number of groups and of unallocated resources, never with the number of rows. Every
/// charge lands in exactly one place (a group, or one of the unallocated reasons), so allocated plus
/// unallocated is the total of the rows read, exactly (Decimal arithmetic, no rounding).
public struct CostAllocator: Sendable {
    public let keys: [String]
    let index: ResourceIndex

    var rows = 0
    var matchedRows = 0
    var total = Decimal.zero
    var groups: [GroupKey: Decimal] = [:]
    var months: [String: MonthFigures] = [:]
    /// Per key (in `keys` order): the cost allocated by each source, and the cost left without a value.
    var keySources: [[TagSource: Decimal]]
    var keyUnallocated: [Decimal]
    var noResourceId = Bucket()
    var unknownResource = Bucket()
    var missingKey = Bucket()
    var unallocatedResources: [String: UnallocatedResourceFigures] = [:]
    var currencies: Set<String> = []

    struct GroupKey: Hashable, Sendable {
        var month: String
        var values: [String]
    }

    struct MonthFigures: Sendable {
        var total = Decimal.zero
        var unallocated = Decimal.zero
    }

    struct Bucket: Sendable {
        var cost = Decimal.zero
        var rows = 0

        mutating func add(_ cost: Decimal) {
            self.cost += cost
            rows += 1
        }
    }

    struct UnallocatedResourceFigures: Sendable {
        var cost = Decimal.zero
        var rows = 0
        /// The resource in the estate, if it is there (then some keys are missing).
        var resource: Int?
    }

    public init(keys: [String], resources: [AllocationResource]) {
        self.keys = keys
        index = ResourceIndex(resources)
        keySources = Array(repeating: [:], count: keys.count)
        keyUnallocated = Array(repeating: .zero, count: keys.count)
    }

    public mutating func add(_ charge: FOCUSCharge) {
        rows += 1
        total += charge.cost
        if let c = charge.currency { currencies.insert(c) }
        months[charge.month, default: MonthFigures()].total += charge.cost

        guard let id = charge.resourceId else {
            noResourceId.add(charge.cost)
            unallocatedForEveryKey(charge)
            return
        }
        guard let i = index.lookup(id: id, providerName: charge.providerName) else {
            unknownResource.add(charge.cost)
            unallocatedResources[id, default: UnallocatedResourceFigures()].cost += charge.cost
            unallocatedResources[id]!.rows += 1
            unallocatedForEveryKey(charge)
            return
        }
        matchedRows += 1
        let tags = index.resources[i].tags
        var values: [String] = []
        values.reserveCapacity(keys.count)
        for (k, key) in keys.enumerated() {
            if let t = tags[key] {
                keySources[k][t.source, default: .zero] += charge.cost
                values.append(t.value)
            } else {
                keyUnallocated[k] += charge.cost
            }
        }
        guard values.count == keys.count else {
            missingKey.add(charge.cost)
            let resourceId = index.resources[i].id
            unallocatedResources[resourceId, default: UnallocatedResourceFigures(resource: i)].cost += charge.cost
            unallocatedResources[resourceId]!.rows += 1
            months[charge.month]!.unallocated += charge.cost
            return
        }
        groups[GroupKey(month: charge.month, values: values), default: .zero] += charge.cost
    }

    /// A charge no resource takes: unallocated for every key.
    private mutating func unallocatedForEveryKey(_ charge: FOCUSCharge) {
        for k in keys.indices { keyUnallocated[k] += charge.cost }
        months[charge.month]!.unallocated += charge.cost
    }

    /// The figures so far.
    public func result(unallocatedResourcesShown limit: Int? = nil) -> CostAllocation {
        CostAllocation(self, unallocatedResourcesShown: limit)
    }
}
