import KubeCore

/// One shared copy of each string that repeats across cached objects (label keys and values, tag keys
/// and values, reasons, condition messages): a decoded object holds its own copy of every string, so
/// 100,000 objects saying `"every required key has a value"` hold it 100,000 times. A cache transform
/// passes such fields through here (see `Store.Transform`).
///
/// Strings of up to 15 UTF-8 bytes are stored inside the String value itself and pass through. The table
/// holds at most `capacity` strings (unique values, such as ids, would only fill it); once full, new
/// strings pass through unshared.
public final class StringInterner: Sendable {
    private let table = Locked<Set<String>>([])
    public let capacity: Int

    public init(capacity: Int = 50_000) {
        self.capacity = capacity
    }

    /// The shared copy of `s`.
    public func callAsFunction(_ s: String) -> String {
        if s.utf8.count <= 15 { return s }
        return table.withLock { t in
            if let i = t.firstIndex(of: s) { return t[i] }
            if t.count < capacity { t.insert(s) }
            return s
        }
    }

    public func callAsFunction(_ s: String?) -> String? { s.map { self($0) } }

    /// A dictionary whose keys and values are the shared copies.
    public func callAsFunction(_ d: [String: String]?) -> [String: String]? {
        guard let d else { return nil }
        var out = [String: String](minimumCapacity: d.count)
        for (k, v) in d { out[self(k)] = self(v) }
        return out
    }

    /// Strings held now.
    public var count: Int { table.withLock { $0.count } }
}
