import Foundation
import KubeCore
import Testing

@testable import Reconcilers

@Suite struct CronScheduleTests {
    static func utc(_ s: String) -> Date { KubeTime.parse(s)! }

    @Test func weekdayMorningsSkipTheWeekend() throws {
        let cron = try CronSchedule("0 9 * * mon-fri")
        // 2026-11-20 is a Friday.
        #expect(cron.next(after: Self.utc("2026-11-20T08:59:59Z")) == Self.utc("2026-11-20T09:00:00Z"))
        #expect(cron.next(after: Self.utc("2026-11-20T09:00:00Z")) == Self.utc("2026-11-23T09:00:00Z"))
    }

    @Test func stepsRangesListsAndNames() throws {
        #expect(try CronSchedule("*/15 * * * *").next(after: Self.utc("2026-01-01T00:07:00Z")) == Self.utc("2026-01-01T00:15:00Z"))
        #expect(try CronSchedule("10-50/20 * * * *").next(after: Self.utc("2026-01-01T00:31:00Z")) == Self.utc("2026-01-01T00:50:00Z"))
        #expect(try CronSchedule("5/30 * * * *").next(after: Self.utc("2026-01-01T00:06:00Z")) == Self.utc("2026-01-01T00:35:00Z"))
        #expect(try CronSchedule("0 0 1 jan,jul *").next(after: Self.utc("2026-02-01T00:00:00Z")) == Self.utc("2026-07-01T00:00:00Z"))
        // Sunday as 7.
        #expect(try CronSchedule("0 0 * * 7").next(after: Self.utc("2026-11-20T00:00:00Z")) == Self.utc("2026-11-22T00:00:00Z"))
        #expect(try CronSchedule("@hourly").next(after: Self.utc("2026-01-01T10:00:00Z")) == Self.utc("2026-01-01T11:00:00Z"))
    }

    @Test func leapDayAndImpossibleDates() throws {
        #expect(try CronSchedule("0 0 29 2 *").next(after: Self.utc("2026-03-01T00:00:00Z")) == Self.utc("2028-02-29T00:00:00Z"))
        #expect(try CronSchedule("0 0 30 2 *").next(after: Self.utc("2026-03-01T00:00:00Z")) == nil)
    }

    @Test func dayOfMonthOrDayOfWeekWhenBothRestricted() throws {
        // The 13th or any Friday (Vixie semantics).
        let cron = try CronSchedule("0 0 13 * fri")
        #expect(cron.next(after: Self.utc("2026-11-10T00:00:00Z")) == Self.utc("2026-11-13T00:00:00Z"))  // Friday the 13th
        #expect(cron.next(after: Self.utc("2026-11-13T00:00:00Z")) == Self.utc("2026-11-20T00:00:00Z"))  // next Friday
        #expect(cron.next(after: Self.utc("2026-12-05T00:00:00Z")) == Self.utc("2026-12-11T00:00:00Z"))  // Friday before the 13th
    }

    @Test(arguments: [
        "* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8", "*/0 * * * *",
        "5-1 * * * *", "* * * foo *", "1,,2 * * * *", "",
    ])
    func rejectsMalformedSchedules(_ text: String) {
        #expect(throws: ReconcileError.self) { try CronSchedule(text) }
    }

    @Test func errorNamesTheField() {
        do {
            _ = try CronSchedule("0 25 * * *")
            Issue.record("accepted an hour of 25")
        } catch {
            #expect(error.description.contains("hour field"))
            #expect(error.description.contains("25"))
        }
    }

    /// Checks `next` against a minute-by-minute scan with Foundation's calendar for many schedules.
    @Test func agreesWithBruteForce() throws {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let schedules = ["*/7 3-5 * * *", "0 0 * * 1", "30 12 1,15 * *", "0 */6 * 2-4 sat,sun", "59 23 31 * *", "15 10 * * 0-2"]
        var start = Self.utc("2026-01-30T22:13:00Z")
        for text in schedules {
            let cron = try CronSchedule(text)
            for _ in 0..<5 {
                let expected = try #require(bruteForceNext(text, after: start, calendar: cal))
                #expect(cron.next(after: start) == expected, "\(text) after \(start)")
                start = expected
            }
        }
    }

    @Test func latestDueCountsMissedRuns() throws {
        let cron = try CronSchedule("0 * * * *")
        let due = try #require(cron.latestDue(after: Self.utc("2026-01-01T00:30:00Z"), now: Self.utc("2026-01-01T03:10:00Z")))
        #expect(due.time == Self.utc("2026-01-01T03:00:00Z"))
        #expect(due.missed == 3)
        #expect(cron.latestDue(after: Self.utc("2026-01-01T03:00:00Z"), now: Self.utc("2026-01-01T03:10:00Z")) == nil)
    }

    /// Reference: scan minute by minute (bounded to 400 days), reading fields with Calendar.
    func bruteForceNext(_ text: String, after: Date, calendar: Calendar) -> Date? {
        let f = text.split(separator: " ").map(String.init)
        func set(_ field: String, _ range: ClosedRange<Int>, _ names: [String] = []) -> Set<Int> {
            var out = Set<Int>()
            for part in field.split(separator: ",") {
                let p = part.split(separator: "/")
                let step = p.count == 2 ? Int(p[1])! : 1
                func v(_ s: Substring) -> Int { Int(s) ?? (names.firstIndex(of: s.uppercased())! + range.lowerBound) }
                var lo = range.lowerBound, hi = range.upperBound
                if p[0] != "*" {
                    let r = p[0].split(separator: "-")
                    lo = v(r[0])
                    hi = r.count == 2 ? v(r[1]) : (p.count == 2 ? range.upperBound : lo)
                }
                for x in stride(from: lo, through: hi, by: step) { out.insert(x == 7 && range.upperBound == 7 ? 0 : x) }
            }
            return out
        }
        let mins = set(f[0], 0...59), hrs = set(f[1], 0...23), doms = set(f[2], 1...31), mons = set(f[3], 1...12)
        let dows = set(f[4], 0...7, ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])
        let domR = f[2] != "*", dowR = f[4] != "*"
        var t = Date(timeIntervalSince1970: (after.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60)
        for _ in 0..<(400 * 1440) {
            let c = calendar.dateComponents([.minute, .hour, .day, .month, .weekday], from: t)
            let domOK = doms.contains(c.day!), dowOK = dows.contains(c.weekday! - 1)
            let dayOK = domR && dowR ? (domOK || dowOK) : (domOK && dowOK)
            if mins.contains(c.minute!), hrs.contains(c.hour!), mons.contains(c.month!), dayOK { return t }
            t += 60
        }
        return nil
    }
}

@Suite struct GoDurationTests {
    @Test(arguments: [("24h", 86_400.0), ("1h30m", 5400), ("90s", 90), ("250ms", 0.25), ("1.5h", 5400), ("0", 0), ("-2m", -120)])
    func parses(_ text: String, _ seconds: Double) throws {
        #expect(try GoDuration.parse(text) == seconds)
    }

    @Test(arguments: ["", "h", "10", "5d", "1h-", "abc", "1.2.3s"])
    func rejects(_ text: String) {
        #expect(throws: KubeCoreError.invalidDuration(input: text)) { try GoDuration.parse(text) }
    }

    @Test func formatsLikeGo() {
        #expect(GoDuration.format(seconds: 86_400) == "24h0m0s")
        #expect(GoDuration.format(seconds: 90) == "1m30s")
        #expect(GoDuration.format(seconds: 0) == "0s")
    }
}
