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
        var w = PackedWriter(strings: strings, owner: 1)
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

    @Test func aStringTwoObjectsHaveIsWrittenAsItsNumber() {
        let strings = SharedStrings()
        let reason = "matched rule team-from-account on the account's owner"
        func packed(by owner: Int) -> [UInt8] {
            var w = PackedWriter(strings: strings, owner: owner)
            w.shared(reason)
            return w.finish()
        }
        // One object packed again and again keeps it as bytes (a value of its own never fills the table).
        let first = packed(by: 1), again = packed(by: 1)
        #expect(first.count > reason.utf8.count && again.count > reason.utf8.count)
        #expect(strings.count == 0)
        // A second object has it: from then on it is its number, for every object.
        let second = packed(by: 2), third = packed(by: 1)
        #expect(second.count <= 3 && third.count <= 3)
        #expect(strings.count == 1)
        for bytes in [first, again, second, third] { #expect(read(bytes, strings) { $0.shared() } == reason) }
        // An object's own strings never enter the table.
        var w = PackedWriter(strings: strings, owner: 3)
        w.own("uid-0123456789")
        var v = PackedWriter(strings: strings, owner: 4)
        v.own("uid-0123456789")
        #expect(strings.count == 1)
    }

    @Test func aFullTableWritesStringsOut() {
        let strings = SharedStrings(capacity: 2)
        var bytes: [[UInt8]] = []
        for (owner, s) in [(1, "a"), (2, "a"), (1, "b"), (2, "b"), (1, "c"), (2, "c"), (3, "c")] {
            var w = PackedWriter(strings: strings, owner: owner)
            w.shared(s)
            bytes.append(w.finish())
        }
        #expect(strings.count == 2)
        #expect(bytes.map { b in read(b, strings) { $0.shared() } } == ["a", "a", "b", "b", "c", "c", "c"])
    }
}
