import Foundation

/// A 5-field cron schedule (minute hour day-of-month month day-of-week), evaluated in UTC, with the
/// syntax Kubernetes CronJobs accept: `*`, lists `1,5`, ranges `1-5`, steps `*/15` `10-50/10` `5/15`,
/// month and weekday names (`JAN`, `mon-fri`), Sunday as 0 or 7, and the macros @yearly @annually
/// @monthly @weekly @daily @midnight @hourly.
/// As in Vixie cron, when both day-of-month and day-of-week are restricted a day matching either runs.
public struct CronSchedule: Sendable, Hashable, CustomStringConvertible {
    public let expression: String
    let minutes: UInt64  // bit i = minute i
    let hours: UInt64
    let daysOfMonth: UInt64  // bits 1...31
    let months: UInt64  // bits 1...12
    let daysOfWeek: UInt64  // bits 0...6, Sunday = 0
    let domRestricted: Bool
    let dowRestricted: Bool

    public var description: String { expression }

    public init(_ expression: String) throws(ReconcileError) {
        self.expression = expression
        let macros = [
            "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
            "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
        ]
        let trimmed = expression.trimmingCharacters(in: .whitespaces)
        let text = macros[trimmed.lowercased()] ?? trimmed
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw ReconcileError.invalidSchedule(expression: expression, problem: "expected 5 fields (minute hour day-of-month month day-of-week), found \(fields.count)")
        }
        func field(_ i: Int, _ name: String, _ range: ClosedRange<Int>, names: [String] = []) throws(ReconcileError) -> UInt64 {
            do {
                return try Self.parseField(fields[i], range: range, names: names)
            } catch {
                guard case .invalidSchedule(_, let problem) = error else { throw error }
                throw .invalidSchedule(expression: expression, problem: "\(name) field \"\(fields[i])\": \(problem)")
            }
        }
        minutes = try field(0, "minute", 0...59)
        hours = try field(1, "hour", 0...23)
        daysOfMonth = try field(2, "day-of-month", 1...31)
        months = try field(3, "month", 1...12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"])
        var dow = try field(4, "day-of-week", 0...7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])
        if dow & (1 << 7) != 0 { dow = (dow | 1) & ~(1 << 7) }
        daysOfWeek = dow
        domRestricted = !fields[2].hasPrefix("*")
        dowRestricted = !fields[4].hasPrefix("*")
    }

    static func parseField(_ text: String, range: ClosedRange<Int>, names: [String]) throws(ReconcileError) -> UInt64 {
        var bits: UInt64 = 0
        func value(_ s: Substring) throws(ReconcileError) -> Int {
            if let v = Int(s) {
                guard range.contains(v) else { throw ReconcileError.invalidSchedule(expression: text, problem: "\(v) is outside \(range.lowerBound)-\(range.upperBound)") }
                return v
            }
            // Names count from 1 for months and 0 for weekdays: the range's lower bound.
            if let i = names.firstIndex(of: s.uppercased()) { return i + range.lowerBound }
            throw ReconcileError.invalidSchedule(expression: text, problem: "\"\(s)\" is not a number\(names.isEmpty ? "" : " or a name like \(names[0])")")
        }
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !part.isEmpty else { throw ReconcileError.invalidSchedule(expression: text, problem: "empty list item") }
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw ReconcileError.invalidSchedule(expression: text, problem: "more than one '/' in \"\(part)\"") }
            var step = 1
            if pieces.count == 2 {
                guard let s = Int(pieces[1]), s > 0 else { throw ReconcileError.invalidSchedule(expression: text, problem: "step \"\(pieces[1])\" must be a positive number") }
                step = s
            }
            let base = pieces[0]
            var lo: Int, hi: Int
            if base == "*" || base == "?" {
                lo = range.lowerBound
                hi = range.upperBound
            } else if let dash = base.firstIndex(of: "-") {
                lo = try value(base[..<dash])
                hi = try value(base[base.index(after: dash)...])
                guard lo <= hi else { throw ReconcileError.invalidSchedule(expression: text, problem: "range \(base) runs backwards") }
            } else {
                lo = try value(base)
                hi = pieces.count == 2 ? range.upperBound : lo  // "5/15" means 5-max/15
            }
            for v in stride(from: lo, through: hi, by: step) { bits |= 1 << UInt64(v) }
        }
        return bits
    }

    /// The first scheduled time strictly after `date` (whole minutes, UTC), or nil if none within 5 years
    /// (e.g. "0 0 30 2 *").
    public func next(after date: Date) -> Date? {
        var minuteStart = (Int(date.timeIntervalSince1970.rounded(.down)) / 60 + 1) * 60
        if date.timeIntervalSince1970 < 0 { minuteStart = Int((date.timeIntervalSince1970 / 60).rounded(.down) + 1) * 60 }
        var day = Self.floorDiv(minuteStart, 86_400)
        var minuteOfDay = (minuteStart - day * 86_400) / 60
        for _ in 0..<(366 * 5) {
            if matchesDay(day) {
                var m = minuteOfDay
                while m < 1440 {
                    let h = m / 60
                    if hours & (1 << UInt64(h)) == 0 {
                        m = (h + 1) * 60
                        continue
                    }
                    if minutes & (1 << UInt64(m % 60)) != 0 {
                        return Date(timeIntervalSince1970: Double(day * 86_400 + m * 60))
                    }
                    m += 1
                }
            }
            day += 1
            minuteOfDay = 0
        }
        return nil
    }

    /// CronJob's missed-run rule: the latest scheduled time in (`last`, `now`], and how many were
    /// missed in between. A run is due only if that time is within `startingDeadline` of now.
    public func latestDue(after last: Date, now: Date, limit: Int = 1000) -> (time: Date, missed: Int)? {
        var latest: Date?
        var count = 0
        var t = last
        while count < limit, let n = next(after: t), n <= now {
            latest = n
            count += 1
            t = n
        }
        if count == limit, let n = lastBefore(now) { latest = n }
        return latest.map { ($0, count) }
    }

    /// The latest scheduled time at or before `date`, searching back at most 5 years.
    func lastBefore(_ date: Date) -> Date? {
        var day = Self.floorDiv(Int(date.timeIntervalSince1970.rounded(.down)), 86_400)
        var minuteOfDay = (Int(date.timeIntervalSince1970.rounded(.down)) - day * 86_400) / 60
        for _ in 0..<(366 * 5) {
            if matchesDay(day) {
                var m = minuteOfDay
                while m >= 0 {
                    if hours & (1 << UInt64(m / 60)) != 0, minutes & (1 << UInt64(m % 60)) != 0 {
                        return Date(timeIntervalSince1970: Double(day * 86_400 + m * 60))
                    }
                    m -= 1
                }
            }
            day -= 1
            minuteOfDay = 1439
        }
        return nil
    }

    func matchesDay(_ daysSinceEpoch: Int) -> Bool {
        let (_, month, dom) = Self.civil(daysSinceEpoch)
        guard months & (1 << UInt64(month)) != 0 else { return false }
        let weekday = Self.floorMod(daysSinceEpoch + 4, 7)  // 1970-01-01 was a Thursday
        let domOK = daysOfMonth & (1 << UInt64(dom)) != 0
        let dowOK = daysOfWeek & (1 << UInt64(weekday)) != 0
        if domRestricted && dowRestricted { return domOK || dowOK }
        return domOK && dowOK
    }

    static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : (a - b + 1) / b }
    static func floorMod(_ a: Int, _ b: Int) -> Int { a - floorDiv(a, b) * b }

    static func civil(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (y, m, d)
    }
}
