import Cost
import Foundation

/// `plan --focus`: how much of a bill the resources' values allocate before the rules (native tags,
/// inheritance and the model only) and after them, so a FinOps person sees the money a rule change moves.
struct CostShift {
    var input: FOCUSInput
    var before: CostAllocation
    var after: CostAllocation

    /// Reads the files once for both estates.
    static func make(input: FOCUSInput, keys: [String], before: PlanReport, after: PlanReport) throws -> CostShift {
        var allocators = [
            CostAllocator(keys: keys, resources: before.resources.map(AllocationResource.init(planned:))),
            CostAllocator(keys: keys, resources: after.resources.map(AllocationResource.init(planned:))),
        ]
        _ = try input.allocate(into: &allocators)
        let shift = CostShift(input: input, before: allocators[0].result(unallocatedResourcesShown: 0), after: allocators[1].result(unallocatedResourcesShown: 0))
        try FOCUSInput.checkCurrency(shift.after)
        return shift
    }

    struct JSONShare: Encodable {
        var key: String
        var allocatedBefore: Decimal
        var allocatedAfter: Decimal
        var shareBefore: Rounded
        var shareAfter: Rounded
    }

    struct JSONDocument: Encodable {
        var files: [String]
        var costColumn: String
        var currency: String?
        var by: [String]
        var total: Decimal
        /// Cost with a value for every key, before and after the rules.
        var allocatedBefore: Decimal
        var allocatedAfter: Decimal
        var keys: [JSONShare]
    }

    var document: JSONDocument {
        JSONDocument(
            files: input.files, costColumn: input.costColumn.rawValue, currency: after.currencies.first, by: after.by,
            total: after.total, allocatedBefore: before.allocated, allocatedAfter: after.allocated,
            keys: zip(before.keys, after.keys).map { b, a in
                JSONShare(key: a.key, allocatedBefore: b.allocated, allocatedAfter: a.allocated,
                          shareBefore: Rounded(CostAllocation.ratio(b.allocated, before.total)),
                          shareAfter: Rounded(CostAllocation.ratio(a.allocated, after.total)))
            })
    }

    func table() -> String {
        let currency = after.currencies.first.map { " " + $0 } ?? ""
        var out = "Cost allocated (\(input.costColumn.rawValue) \(Money.text(after.total))\(currency) in \(input.files.count) FOCUS file\(input.files.count == 1 ? "" : "s")), before and after the rules:\n"
        var t = TextTable(["KEY", "BEFORE", "SHARE", "AFTER", "SHARE", "MOVED"], rightAligned: [1, 2, 3, 4, 5])
        func row(_ name: String, _ b: Decimal, _ a: Decimal) {
            let moved = a - b
            t.add([name, Money.text(b), Format.percent(CostAllocation.ratio(b, after.total)), Money.text(a),
                   Format.percent(CostAllocation.ratio(a, after.total)), (moved > 0 ? "+" : "") + Money.text(moved)])
        }
        for (b, a) in zip(before.keys, after.keys) { row(a.key, b.allocated, a.allocated) }
        if after.by.count > 1 { row("all of " + after.by.joined(separator: ","), before.allocated, after.allocated) }
        out += t.render(indent: "  ")
        return out
    }
}
