/// A small, fast, seeded random source whose output is the same on every platform and Swift
/// version: xoshiro256** seeded through SplitMix64. The standard library's `random(in:using:)`
/// does not promise a stable algorithm, so every draw the estate makes goes through the helpers
/// below, which use only this generator's raw 64-bit output.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var sm = seed
        s0 = SeededRandom.splitMix64(&sm)
        s1 = SeededRandom.splitMix64(&sm)
        s2 = SeededRandom.splitMix64(&sm)
        s3 = SeededRandom.splitMix64(&sm)
    }

    /// An independent stream for one purpose (e.g. the organisation vs the resources), so that
    /// changing how many draws one part makes does not shift the other.
    public init(seed: UInt64, stream: UInt64) {
        self.init(seed: seed ^ (stream &* 0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }

    static func splitMix64(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in 0..<n (n > 0), by Lemire's multiply-shift with rejection (no modulo bias).
    public mutating func below(_ n: Int) -> Int {
        precondition(n > 0, "below(\(n))")
        let bound = UInt64(n)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }

    /// Uniform in the closed range.
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    /// Uniform in [0, 1) with 53 bits of precision.
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// True with probability p.
    public mutating func chance(_ p: Double) -> Bool { p > 0 && unit() < p }

    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    /// An index drawn in proportion to the weights (all >= 0, sum > 0).
    public mutating func weightedIndex(_ weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        var x = unit() * total
        for (i, w) in weights.enumerated() {
            if x < w { return i }
            x -= w
        }
        return weights.count - 1
    }

    public mutating func pick<T>(_ items: [(T, Double)]) -> T { items[weightedIndex(items.map(\.1))].0 }

    /// `count` lower-case hex digits, as in instance and volume ids.
    public mutating func hex(_ count: Int) -> String {
        let digits = Array("0123456789abcdef")
        var out = ""
        out.reserveCapacity(count)
        for _ in 0..<count { out.append(digits[below(16)]) }
        return out
    }

    /// `count` characters of [a-z0-9], as in opaque generated names.
    public mutating func alnum(_ count: Int) -> String {
        let chars = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        var out = ""
        out.reserveCapacity(count)
        for _ in 0..<count { out.append(chars[below(chars.count)]) }
        return out
    }

    /// Picks k distinct elements, in a seeded order.
    public mutating func sample<T>(_ items: [T], _ k: Int) -> [T] {
        var pool = items
        var out: [T] = []
        for _ in 0..<min(k, pool.count) { out.append(pool.remove(at: below(pool.count))) }
        return out
    }
}
