import Foundation
import KubeCore
import TaggingAPI

/// Columns aligned like kubectl's tables: upper-case headers, two spaces between columns, no borders.
struct TextTable {
    var headers: [String]
    var rows: [[String]] = []
    /// Columns aligned to the right (numbers).
    var rightAligned: Set<Int> = []

    /// Prints the header row (off for aligned lists without titles).
    var showsHeader = true

    init(_ headers: [String], rightAligned: Set<Int> = []) {
        self.headers = headers
        self.rightAligned = rightAligned
    }

    /// A table without a header row of `columns` columns.
    static func plain(columns: Int, rightAligned: Set<Int> = []) -> TextTable {
        var t = TextTable(Array(repeating: "", count: columns), rightAligned: rightAligned)
        t.showsHeader = false
        return t
    }

    mutating func add(_ row: [String]) { rows.append(row) }

    func render(indent: String = "") -> String {
        let all = showsHeader ? [headers] + rows : rows
        var widths = Array(repeating: 0, count: headers.count)
        for row in all {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        var out = ""
        for row in all {
            var line = indent
            for (i, cell) in row.enumerated() where i < widths.count {
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                let isLast = i == row.count - 1
                if rightAligned.contains(i) { line += pad + cell } else { line += cell + (isLast ? "" : pad) }
                if !isLast { line += "  " }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        return out
    }
}

enum Format {
    /// 0.8512 -> "85.1%".
    static func percent(_ ratio: Double) -> String { String(format: "%.1f%%", ratio * 100) }
    /// Confidence with two decimals.
    static func confidence(_ c: Double) -> String { String(format: "%.2f", c) }
    /// Cuts `s` to `limit` characters with an ellipsis.
    static func truncate(_ s: String, _ limit: Int) -> String {
        s.count <= limit ? s : String(s.prefix(max(0, limit - 1))) + "…"
    }
    /// An age like kubectl's: 45s, 12m, 3h, 5d.
    static func age(since date: Date?, now: Date = Date()) -> String {
        guard let date else { return "-" }
        let s = max(0, Int(now.timeIntervalSince(date)))
        if s < 120 { return "\(s)s" }
        if s < 7200 { return "\(s / 60)m" }
        if s < 2 * 86400 { return "\(s / 3600)h" }
        return "\(s / 86400)d"
    }
    static func time(_ date: Date?) -> String { date.map(KubeTime.format) ?? "-" }
}

/// A rounded double that encodes with at most a few decimals, so JSON output is stable and readable.
struct Rounded: Encodable, Hashable {
    var value: Double
    init(_ value: Double, places: Int = 4) {
        let m = pow(10, Double(places))
        self.value = (value * m).rounded() / m
    }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(value)
    }
}
