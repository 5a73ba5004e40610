import KubeCore

/// The strings that recur across packed objects (`PackedWriter.shared`), each stored once and named by its
/// number: a tag key, a value many resources have, a reason a rule gives them all. A packed object holds
/// a 1–3 byte number for each instead of 16 bytes and a copy.
///
/// A string gets a number once a second object offers it, so a value only one object has (a reason naming
/// its own features) stays in that object's bytes, where it costs less than a table slot, however often that
/// object is packed again. Numbers are never reused, so packed bytes stay readable; the table is bounded by
/// `capacity` (past it, strings are written out in full), and the record of strings seen by one object is
/// cleared whenever it reaches `capacity` entries.
public final class SharedStrings: Sendable {
    private struct State {
        var table: [String] = []
        var ids: [String: Int] = [:]
        /// Hash of a string seen by one object only -> that object (the writer's `owner`).
        var seenOnce: [Int: Int] = [:]
    }

    private let state = Locked(State())
    public let capacity: Int

    public init(capacity: Int = 200_000) {
        self.capacity = max(1, capacity)
    }

    /// The number of `s`, if it has one or gets one now (a second object offers it).
    func id(for s: String, owner: Int) -> Int? {
        state.withLock { st in
            if let id = st.ids[s] { return id }
            guard st.table.count < capacity else { return nil }
            let hash = s.hashValue
            guard let first = st.seenOnce[hash], first != owner else {
                if st.seenOnce.count >= capacity { st.seenOnce.removeAll(keepingCapacity: true) }
                st.seenOnce[hash] = owner
                return nil
            }
            st.seenOnce[hash] = nil
            st.table.append(s)
            st.ids[s] = st.table.count - 1
            return st.table.count - 1
        }
    }

    /// Runs `body` with the table (for a `PackedReader`); writers wait meanwhile, so keep it short.
    public func withTable<R: Sendable>(_ body: ([String]) -> R) -> R {
        state.withLock { body($0.table) }
    }

    /// Strings numbered so far.
    public var count: Int { state.withLock { $0.table.count } }
}
