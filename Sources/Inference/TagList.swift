/// A resource's tags, at most one per key, kept sorted by key. A resource has a handful of keys, so a
/// sorted list is cheaper to build and search than a dictionary, and it is already in the order results
/// report them in.
public struct TagList: Sendable, Hashable {
    public private(set) var tags: [InferredTag] = []

    public init() {}

    public var isEmpty: Bool { tags.isEmpty }

    /// The tag for `key`; setting nil removes it.
    public subscript(key: String) -> InferredTag? {
        get {
            for t in tags where t.key == key { return t }
            return nil
        }
        set {
            assert(newValue == nil || newValue?.key == key, "a tag is stored under its own key")
            let i = tags.firstIndex { $0.key >= key } ?? tags.endIndex
            let present = i < tags.endIndex && tags[i].key == key
            switch (newValue, present) {
            case (let tag?, true): tags[i] = tag
            case (let tag?, false): tags.insert(tag, at: i)
            case (nil, true): tags.remove(at: i)
            case (nil, false): break
            }
        }
    }
}
