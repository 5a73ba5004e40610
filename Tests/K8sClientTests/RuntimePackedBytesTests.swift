import Foundation
import KubeCore
import Testing
@testable import K8sClient

/// PackedWriter/PackedReader and SharedStrings: what is written reads back the same, recurring strings
/// become numbers from their second sighting, and a full table still packs correctly.
@Suite struct RuntimePackedBytesTests {
    func read<R: Sendable>(_ bytes: [UInt8], _ strings: SharedStrings, _ body: (inout PackedReader) -> R) -> R {
        strings.withTable { table in
            PackedReader.read(bytes, strings: table) { r in
                let out = body(&r)
                #expect(r.isAtEnd)
                return out
            }
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

    /// Dates are written from the one before (mostly a byte each), whole seconds or not, in any order.
    @Test func datesReadBackTheSameWrittenFromTheOneBefore() {
        let strings = SharedStrings()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let dates = [t0, t0, t0.addingTimeInterval(5), t0.addingTimeInterval(0.5), t0.addingTimeInterval(-70), Date(timeIntervalSince1970: 0), t0]
        var w = PackedWriter(strings: strings, owner: 1)
        for d in dates { w.date(d) }
        let bytes = w.finish()
        #expect(read(bytes, strings) { r in dates.map { _ in r.date() } } == dates)
        // The first date costs its varint; each same or nearby one a byte (the finer one its 9).
        #expect(bytes.count <= 5 + 1 + 1 + 9 + 2 + 5 + 5)
    }

    /// A text written word by word reads back exactly, whatever its spaces, and its recurring words become numbers.
    @Test func aTextWrittenWordByWordReadsBackExactly() {
        let strings = SharedStrings()
        let texts = ["model v1.3: resources like this (account 668192242861, name words \"test alb\") have env=test", "", " ", "  two  spaces ",
                     "one", "ünïcødé words ✓"]
        for owner in 1...2 {
            var w = PackedWriter(strings: strings, owner: owner)
            for t in texts { w.words(t) }
            let bytes = w.finish()
            #expect(read(bytes, strings) { r in texts.map { _ in r.words() } } == texts)
        }
        // A third object with the first text: every word is a number by now.
        var w = PackedWriter(strings: strings, owner: 3)
        w.words(texts[0])
        let bytes = w.finish()
        #expect(bytes.count < texts[0].utf8.count / 3)
        #expect(read(bytes, strings) { $0.words() } == texts[0])
    }

    /// A packed buffer holds its header and exactly the writer's bytes.
    @Test func aPackedBufferHoldsItsHeaderAndTheBytes() {
        let strings = SharedStrings()
        var w = PackedWriter(strings: strings, owner: 1)
        w.own("resource-1")
        w.int(42)
        w.shared("team")
        let buffer = w.finish(header: ["shared": "map"])
        #expect(buffer.value == ["shared": "map"])
        #expect(buffer.count == w.finish().count)
        let back = strings.withTable { table in
            buffer.read(strings: table) { r in
                let out = "\(r.own()) \(r.int()) \(r.shared())"
                #expect(r.isAtEnd)
                return out
            }
        }
        #expect(back == "resource-1 42 team")
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
