import TaggingAPI

/// A resource as cost allocation sees it: who it is, and for each key the value it holds and the
/// source of that value (native, rule, inherited, model, approval, manual).
public struct AllocationResource: Sendable, Hashable {
    public struct Tag: Sendable, Hashable {
        public var value: String
        public var source: TagSource

        public init(value: String, source: TagSource) {
            self.value = value
            self.source = source
        }
    }

    public var provider: String
    public var id: String
    public var name: String?
    public var tags: [String: Tag]

    public init(provider: String, id: String, name: String? = nil, tags: [String: Tag]) {
        self.provider = provider
        self.id = id
        self.name = name
        self.tags = tags
    }

    /// A CloudResource with its applied virtual tags; one the tagger has not seen yet counts its native tags.
    public init(resource: CloudResource) {
        var tags: [String: Tag] = [:]
        if let applied = resource.status?.virtualTags {
            for t in applied { tags[t.key] = Tag(value: t.value, source: t.source) }
        } else {
            for (k, v) in resource.spec.nativeTags ?? [:] where !v.isEmpty { tags[k] = Tag(value: v, source: .native) }
        }
        self.init(provider: resource.spec.provider, id: resource.spec.id, name: resource.spec.name, tags: tags)
    }
}
