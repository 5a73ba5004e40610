import Testing
@testable import Inference

@Suite("pair slots: (feature, value) pairs numbered as first seen, by table or by hash")
struct PairSlotsTests {
    /// Numbers a stream of pairs with repeats, checking each answer against a dictionary.
    func check(_ slots: inout PairSlots, features: Int32, values: Int32, pairs: Int) {
        var reference: [[Int32]: Int] = [:]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int32) -> Int32 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int32(state % UInt64(n))
        }
        for _ in 0..<pairs {
            let f = next(features), v = next(values)
            let known = slots.slot(f, v)
            #expect(known == reference[[f, v]] ?? -1, "(\(f), \(v))")
            if known < 0 {
                let added = slots.add(f, v)
                #expect(added == reference.count)
                reference[[f, v]] = added
            }
        }
        #expect(slots.count == reference.count)
        // Every pair keeps its slot; the corners of the table, never seen or seen, answer as the dictionary does.
        for (pair, slot) in reference { #expect(slots.slot(pair[0], pair[1]) == slot) }
        for (f, v) in [(0, 0), (features - 1, values - 1), (0, values - 1), (features - 1, 0)] {
            #expect(slots.slot(f, v) == reference[[f, v]] ?? -1)
        }
    }

    @Test func aTableNumbersPairsAsTheyAreFirstSeen() {
        var slots = PairSlots(features: 300, values: 40)
        check(&slots, features: 300, values: 40, pairs: 20_000)
        #expect(slots.count > 5_000 && slots.count < 12_000)  // repeats were found, not numbered twice
    }

    @Test func pairsTooManyForATableAreHashedWithTheSameSlots() {
        // The same stream of pairs, once by table and once hashed: the same slots.
        var table = PairSlots(features: 5_000, values: 300)
        var hashed = PairSlots(features: 5_000, values: 300, tableLimit: 1_000)
        check(&table, features: 5_000, values: 300, pairs: 10_000)
        check(&hashed, features: 5_000, values: 300, pairs: 10_000)
        #expect(table.count == hashed.count)
        // Feature numbers far past 2^16 and value numbers past 2^16 do not collide when hashed.
        var wide = PairSlots(features: 1 << 20, values: 1 << 17)
        let a = wide.add(1, 1 << 16), b = wide.add(1 << 16, 1)
        #expect(a != b && wide.slot(1, 1 << 16) == a && wide.slot(1 << 16, 1) == b && wide.slot(1, 1) == -1)
    }
}
