import KubeCore

/// One shared copy of each whole value that repeats across cached objects: a dictionary of labels, a list
/// of owner references, a list of missing keys. A decoded object holds its own storage for each of them, so
/// 100,000 resources with the same four labels hold 100,000 equal dictionaries; through here they hold one.
/// (Strings inside are shared by `StringInterner`; this shares the container.)
///
/// Bounded: the table holds at most `capacity` values. When it is full it starts over, so values no
/// object uses any more (a status list since rewritten) are let go; the objects holding a shared copy
/// keep it, and the values that repeat are shared again as they come back.
public final class ValueInterner<Value: Hashable & Sendable>: Sendable {
    private let table = Locked<Set<Value>>([])
    public let capacity: Int

    public init(capacity: Int = 10_000) {
        self.capacity = max(1, capacity)
    }

    /// The shared copy of `value`; `prepare` makes a new one before it is kept (sharing its parts).
    public func callAsFunction(_ value: Value, prepare: (Value) -> Value = { $0 }) -> Value {
        if let known = table.withLock({ t in t.firstIndex(of: value).map { t[$0] } }) { return known }
        let prepared = prepare(value)
        table.withLock { t in
            if t.count >= capacity { t.removeAll(keepingCapacity: true) }
            t.insert(prepared)
        }
        return prepared
    }

    public func callAsFunction(_ value: Value?, prepare: (Value) -> Value = { $0 }) -> Value? {
        value.map { self($0, prepare: prepare) }
    }

    /// Values held now.
    public var count: Int { table.withLock { $0.count } }
}
