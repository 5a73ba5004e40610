/// (feature, value) pairs numbered as they are first seen, so that what is counted per pair lives in flat arrays
/// indexed by the pair's slot. A slot is found in a table indexed by feature and value when features × values
/// is small enough (it nearly always is: a few thousand features, a few hundred values), else hashed.
struct PairSlots {
    /// Values per feature: the table's row length.
    let values: Int
    /// `feature * values + value` -> slot, -1 for a pair not seen; empty when hashed.
    private var table: [Int32]
    private var hashed: [Int64: Int32] = [:]
    /// Pairs numbered so far: the next pair's slot.
    private(set) var count = 0

    /// Above this many cells (16 MiB of table) the pairs are hashed instead.
    static let tableLimit = 1 << 22

    /// Pairs of feature numbers below `features` and value numbers below `values`.
    init(features: Int, values: Int, tableLimit: Int = PairSlots.tableLimit) {
        self.values = values
        let cells = features * values
        table = [Int32](repeating: -1, count: cells <= tableLimit ? cells : 0)
    }

    /// The pair's slot, -1 when it has none yet.
    @inline(__always) func slot(_ feature: Int32, _ value: Int32) -> Int {
        table.isEmpty ? Int(hashed[Self.key(feature, value)] ?? -1) : Int(table[Int(feature) * values + Int(value)])
    }

    /// Numbers a pair that has no slot yet; its slot.
    mutating func add(_ feature: Int32, _ value: Int32) -> Int {
        let slot = count
        if table.isEmpty {
            hashed[Self.key(feature, value)] = Int32(slot)
        } else {
            table[Int(feature) * values + Int(value)] = Int32(slot)
        }
        count += 1
        return slot
    }

    private static func key(_ feature: Int32, _ value: Int32) -> Int64 { Int64(feature) << 32 | Int64(UInt32(bitPattern: value)) }
}
