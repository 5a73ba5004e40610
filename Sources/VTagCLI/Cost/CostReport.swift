import Cost
import Foundation
import TaggingAPI

/// What `kubectl vtag cost` prints: the allocation of the FOCUS files' cost, as a table, CSV or JSON.
struct CostReport {
    var source: String
    var resources: Int
    var input: FOCUSInput
    var files: [FOCUSReader.Summary]
    var allocation: CostAllocation

    var problemCount: Int { files.reduce(0) { $0 + $1.problemCount } }

    // MARK: JSON

    struct JSONFile: Encodable {
        var path: String
        var rows: Int
        var unusableRows: Int
        var gzip: Bool
    }

    /// The allocation's figures at the top level (`total`, `allocated`, `unallocated`, `groups`, ...),
    /// with where they came from.
    struct JSONDocument: Encodable {
        var source: String
        var resources: Int
        var costColumn: String
        var currency: String?
        var files: [JSONFile]
        var by: [String]
        var rows: Int
        var matchedRows: Int
        var total: Decimal
        var allocated: Decimal
        var unallocated: Decimal
        var allocatedShare: Rounded
        var groups: [CostAllocation.Group]
        var months: [CostAllocation.Month]
        var keys: [CostAllocation.KeyShare]
        var unallocatedReasons: CostAllocation.UnallocatedReasons
        var unallocatedResources: [CostAllocation.UnallocatedResource]
    }

    func json() throws -> String {
        let a = allocation
        let doc = JSONDocument(
            source: source, resources: resources, costColumn: input.costColumn.rawValue, currency: a.currencies.first,
            files: files.map { JSONFile(path: $0.file, rows: $0.rows, unusableRows: $0.problemCount, gzip: $0.compressed) },
            by: a.by, rows: a.rows, matchedRows: a.matchedRows, total: a.total, allocated: a.allocated,
            unallocated: a.unallocated, allocatedShare: Rounded(a.allocatedShare), groups: a.groups, months: a.months,
            keys: a.keys, unallocatedReasons: a.unallocatedReasons, unallocatedResources: a.unallocatedResources)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(doc), as: UTF8.self) + "\n"
    }

    // MARK: CSV

    /// `month,KEY...,allocation,cost`: one row per month and group, then the month's unallocated cost
    /// (empty key cells); the cost column adds up to the files' total.
    func csv() -> String {
        let a = allocation
        var out = (["month"] + a.by + ["allocation", "cost"]).map(Self.csvCell).joined(separator: ",") + "\n"
        for m in a.months {
            let groups = a.groups.compactMap { g in g.months[m.month].map { (g.values, $0) } }
            for (values, cost) in groups {
                out += ([m.month] + values + ["allocated", "\(cost)"]).map(Self.csvCell).joined(separator: ",") + "\n"
            }
            if m.unallocated != .zero {
                out += ([m.month] + a.by.map { _ in "" } + ["unallocated", "\(m.unallocated)"]).map(Self.csvCell).joined(separator: ",") + "\n"
            }
        }
        return out
    }

    static func rows(_ n: Int) -> String { n == 1 ? "1 row" : "\(n) rows" }

    static func csvCell(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    // MARK: Table

    func table(show: Int?) -> String {
        let a = allocation
        let currency = a.currencies.first.map { " " + $0 } ?? ""
        let by = a.by.joined(separator: ",")
        var out = "Cost of \(a.rows) rows in \(files.count) FOCUS file\(files.count == 1 ? "" : "s") (\(input.costColumn.rawValue)\(currency)), joined to \(resources) resources from \(source).\n"
        out += "Rows whose ResourceId names a resource: \(a.matchedRows) of \(a.rows)."
        if problemCount > 0 { out += " \(problemCount) unusable rows left out (see the warnings)." }
        out += " Amounts rounded to cents (-o json has them exact).\n\n"

        var summary = TextTable.plain(columns: 4, rightAligned: [1, 2])
        summary.rows = [
            ["total", Money.text(a.total), "", ""],
            ["allocated", Money.text(a.allocated), Format.percent(a.allocatedShare), "resources with a value for \(by)"],
            ["unallocated", Money.text(a.unallocated), Format.percent(CostAllocation.ratio(a.unallocated, a.total)), ""],
        ]
        out += summary.render(indent: "  ") + "\n"

        out += "Cost by \(by), per month:\n"
        var groups = TextTable(["MONTH"] + a.by.map { $0.uppercased() } + ["COST", "SHARE"], rightAligned: [a.by.count + 1, a.by.count + 2])
        for m in a.months {
            let rows = a.groups.compactMap { g in g.months[m.month].map { (g.values, $0) } }.sorted { $0.1 > $1.1 }
            for (values, cost) in rows {
                groups.add([m.month] + values + [Money.text(cost), Format.percent(CostAllocation.ratio(cost, m.total))])
            }
            if m.unallocated != .zero {
                groups.add([m.month] + ["(unallocated)"] + a.by.dropFirst().map { _ in "" }
                           + [Money.text(m.unallocated), Format.percent(CostAllocation.ratio(m.unallocated, m.total))])
            }
        }
        out += groups.render(indent: "  ") + "\n"

        out += "Allocated share of each key, by the source of its value:\n"
        let sources = TagSource.allCases.map(\.rawValue)
        var shares = TextTable(["KEY", "ALLOCATED", "SHARE"] + sources.map { $0.uppercased() } + ["UNALLOCATED"],
                               rightAligned: Set(1...(sources.count + 3)))
        for k in a.keys {
            shares.add([k.key, Money.text(k.allocated), Format.percent(CostAllocation.ratio(k.allocated, a.total))]
                       + sources.map { k.bySource[$0].map(Money.text) ?? "-" } + [Money.text(k.unallocated)])
        }
        out += shares.render(indent: "  ") + "\n"

        let r = a.unallocatedReasons
        out += "Unallocated, by reason:\n"
        var reasons = TextTable.plain(columns: 3, rightAligned: [1, 2])
        reasons.rows = [
            ["no ResourceId (tax, support, requests, transfer)", Money.text(r.noResourceId.cost), Self.rows(r.noResourceId.rows)],
            ["ResourceId of no known resource", Money.text(r.resourceNotFound.cost), Self.rows(r.resourceNotFound.rows)],
            ["resource without a value for \(by)", Money.text(r.missingKeys.cost), Self.rows(r.missingKeys.rows)],
        ]
        out += reasons.render(indent: "  ")

        guard !a.unallocatedResources.isEmpty else { return out }
        let shown = show.map { min($0, a.unallocatedResources.count) } ?? a.unallocatedResources.count
        out += "\nLargest unallocated resources"
        out += shown < a.unallocatedResourceCount
            ? " (the first \(shown) of \(a.unallocatedResourceCount); --show all lists every one):\n" : ":\n"
        var top = TextTable(["RESOURCE ID", "NAME", "COST", "ROWS", "REASON"], rightAligned: [2, 3])
        for u in a.unallocatedResources.prefix(shown) {
            top.add([Format.truncate(u.resourceId, 100), u.name ?? "-", Money.text(u.cost), "\(u.rows)", u.reason])
        }
        out += top.render(indent: "  ")
        return out
    }
}

/// Amounts for people: rounded half-even to cents, with thousands kept plain (no locale).
enum Money {
    static func text(_ d: Decimal) -> String {
        var value = d
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 2, .bankers)
        let s = "\(rounded)"
        guard let dot = s.firstIndex(of: ".") else { return s + ".00" }
        let decimals = s.distance(from: dot, to: s.endIndex) - 1
        return decimals >= 2 ? s : s + String(repeating: "0", count: 2 - decimals)
    }
}
