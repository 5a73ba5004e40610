/// A resource's tags, at most one per key, kept sorted by key. A resource has a handful of keys, so a
/// sorted list is cheaper to build and search than a dictionary, and it is already in the order results
/// report them in.
public struct TagList: Sendable, Hashable {
    public private(set) var tags: [InferredTag] = []

    public init() {}

    public var isEmpty: Bool { tags.isEmpty }

    /// The ones below read one field in place: `self[key]` copies the whole tag (and retains its strings).
    public func contains(_ key: String) -> Bool { tags.contains { $0.key == key } }

    public func decision(of key: String) -> TagDecision? {
        for i in tags.indices where tags[i].key == key { return tags[i].decision }
        return nil
    }

    public func confidence(of key: String) -> Double? {
        for i in tags.indices where tags[i].key == key { return tags[i].confidence }
        return nil
    }

    /// The position of `key`'s tag in `tags` (its fields then read in place).
    public func index(of key: String) -> Int? {
        for i in tags.indices where tags[i].key == key { return i }
        return nil
    }

    public mutating func reserveCapacity(_ n: Int) { tags.reserveCapacity(n) }

    /// The tag for `key`; setting nil removes it.
    public subscript(key: String) -> InferredTag? {
        get {
            for t in tags where t.key == key { return t }
            return nil
        }
        set {
            assert(newValue == nil || newValue?.key == key, "a tag is stored under its own key")
            // Tags arrive mostly in key order: look from the end for where this key goes.
            var i = tags.endIndex
            while i > tags.startIndex, tags[i - 1].key >= key { i -= 1 }
            let present = i < tags.endIndex && tags[i].key == key
            if let newValue {
                if present { tags[i] = newValue } else if i == tags.endIndex { tags.append(newValue) } else { tags.insert(newValue, at: i) }
            } else if present {
                tags.remove(at: i)
            }
        }
    }
}
