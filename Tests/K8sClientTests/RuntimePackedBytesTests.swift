import Foundation
import KubeCore
import Testing
@testable import K8sClient

/// PackedWriter/PackedReader and SharedStrings: what is written reads back the same, recurring strings
/// become numbers from their second sighting, and a full table still packs correctly.
@Suite struct RuntimePackedBytesTests {
    func read<R: Sendable>(_ bytes: [UInt8], _ strings: SharedStrings, _ body: (inout PackedReader) -> R) -> R {
        strings.withTable { table in
            var r = PackedReader(bytes, strings: table)
            let out = body(&r)
            #expect(r.isAtEnd)
            return out
        }
    }

    @Test func numbersDatesAndStringsReadBackTheSame() {
        let strings = SharedStrings()
        var w = PackedWriter(strings: strings)
        let ints: [Int64] = [0, 1, -1, 63, -64, 64, 300, -300, .max, .min]
        for i in ints { w.int(i) }
        let dates = [Date(timeIntervalSince1970: 1_800_000_000), Date(timeIntervalSince1970: 1_800_000_000.25), Date(timeIntervalSince1970: -5)]
        for d in dates { w.date(d) }
        w.date(nil as Date?)
        w.double(0.93)
        w.bool(true)
        w.own("ünïcødé ✓ and more than fifteen bytes")
        w.own(nil as String?)
        w.shared("team")
        w.sharedMap(["team": "payments", "env": ""])
        w.sharedList([])
        let bytes = w.finish()
        struct Read: Sendable, Equatable {
            var ints: [Int64], dates: [Date], noDate: Date?, double: Double, bool: Bool, own: String, noOwn: String?
            var shared: String, map: [String: String]?, list: [String]?
        }
        let back = read(bytes, strings) { r in
            Read(ints: ints.map { _ in r.int64() }, dates: dates.map { _ in r.date() }, noDate: r.optionalDate(), double: r.double(),
                 bool: r.bool(), own: r.own(), noOwn: r.optionalOwn(), shared: r.shared(), map: r.sharedMap(), list: r.sharedList())
        }
        #expect(back == Read(ints: ints, dates: dates, noDate: nil, double: 0.93, bool: true, own: "ünïcødé ✓ and more than fifteen bytes",
                             noOwn: nil, shared: "team", map: ["team": "payments", "env": ""], list: []))
    }

    @Test func aStringSeenTwiceIsWrittenAsItsNumber() {
        let strings = SharedStrings()
        let reason = "matched rule team-from-account on the account's owner"
        func packed() -> [UInt8] {
            var w = PackedWriter(strings: strings)
            w.shared(reason)
            return w.finish()
        }
        let first = packed(), second = packed()
        #expect(first.count > reason.utf8.count)  // first sighting: the bytes
        #expect(second.count <= 3)  // then its number
        #expect(strings.count == 1)
        #expect(read(first, strings) { $0.shared() } == reason)
        #expect(read(second, strings) { $0.shared() } == reason)
        // An object's own strings never enter the table.
        var w = PackedWriter(strings: strings)
        w.own("uid-0123456789")
        w.own("uid-0123456789")
        #expect(strings.count == 1)
    }

    @Test func aFullTableWritesStringsOut() {
        let strings = SharedStrings(capacity: 2)
        var w = PackedWriter(strings: strings)
        for s in ["a", "a", "b", "b", "c", "c", "c"] { w.shared(s) }
        #expect(strings.count == 2)
        let bytes = w.finish()
        #expect(read(bytes, strings) { r in (0..<7).map { _ in r.shared() } } == ["a", "a", "b", "b", "c", "c", "c"])
    }
}
