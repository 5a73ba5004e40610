import Foundation
import K8sClient
import KubeCore
import TaggingAPI

/// How the operator's cache holds a CloudResource: one heap block per resource (`PackedBuffer`) with every
/// field but name and namespace (the store's key has them) packed into bytes (`PackedWriter`), the spec's
/// four maps (native tags, attributes, relations, manual tags) included: as Swift values they cost a
/// dictionary's storage and a heap string per long value, about 0.4 KB per resource (half of them are a
/// resource's own, so sharing equal maps saved only the other half). It unpacks to a value equal to the
/// one stored: the tagger writes the whole status back from it. Strings of this resource alone (uid,
/// resourceVersion, provider id, name) are written out; what recurs across an estate (tag keys and values,
/// attribute values, relation targets, history actors, condition messages, labels, account, region, type)
/// becomes a number in the shared table once two resources have it, and a reason is written word by word
/// (its words recur: rule names, accounts, name words). Dates are whole seconds in a varint, each from the
/// one before.
///
/// Every field is listed here: a field added to CloudResource (or its parts) must be added to `pack` and
/// `unpack` too (`CloudResourcePackingTests` counts the fields so it is not forgotten).
public enum CloudResourcePacking {
    /// A cached CloudResource: its bytes alone (no header).
    typealias Packed = PackedBuffer<Void>

    public static func make(strings: SharedStrings = SharedStrings()) -> Store<CloudResource>.Packing {
        Store<CloudResource>.Packing(
            pack: { resource in
                var w = PackedWriter(strings: strings, owner: ObjectKey(resource).hashValue)
                pack(resource, into: &w)
                return w.finish(header: ())
            },
            unpack: { object, key in
                let packed = unsafeDowncast(object, to: Packed.self)
                return strings.withTable { table in
                    packed.read(strings: table) { r in unpack(&r, key: key) }
                }
            },
            strings: strings)
    }

    /// What the `vtag_*` gauges count of a resource (`DomainMetrics.collect`), read off its packed bytes without
    /// unpacking it (`strings`: the packing's table, from `Store.forEachStored`), or from a resource.
    public struct GaugeFields: Equatable, Sendable {
        public struct Tag: Equatable, Sendable {
            public var key: String
            public var source: TagSource
        }

        /// nil without a status.
        public var phase: ResourcePhase?
        public var hasStatus = false
        public var evaluated = false
        /// No missing required key (none listed).
        public var compliant = true
        public var tags: [Tag] = []

        public init(_ resource: CloudResource) {
            guard let status = resource.status else { return }
            hasStatus = true
            phase = status.phase
            evaluated = status.evaluatedAt != nil
            compliant = status.missingKeys?.isEmpty ?? true
            tags = (status.virtualTags ?? []).map { Tag(key: $0.key, source: $0.source) }
        }

        init() {}
    }

    public static func gaugeFields(_ object: AnyObject, strings: [String]) -> GaugeFields {
        unsafeDowncast(object, to: Packed.self).read(strings: strings) { r in gaugeFields(&r) }
    }

    /// Reads in `pack`'s order up to `evaluatedAt`, making only the strings the gauges need.
    static func gaugeFields(_ r: inout PackedReader) -> GaugeFields {
        r.skipShared()  // provider
        r.skipOwn()  // id
        r.skipShared()  // type
        r.skipOptionalOwn()  // name
        r.skipOptionalShared()  // account
        r.skipOptionalShared()  // region
        r.skipSharedMap()  // nativeTags
        r.skipSharedMap()  // attributes
        r.skipOptionalList { r in
            r.skipShared()
            r.skipShared()
        }
        r.skipSharedMap()  // manualTags
        r.skipOptionalShared()  // apiVersion
        r.skipOptionalShared()  // kind
        _ = r.bool()  // has a name
        r.skipOptionalOwn()  // generateName
        r.skipOptionalOwn()  // uid
        r.skipOptionalOwn()  // resourceVersion
        _ = int(&r)  // generation
        r.skipOptionalDate()  // creationTimestamp
        r.skipOptionalDate()  // deletionTimestamp
        _ = int(&r)  // deletionGracePeriodSeconds
        r.skipSharedMap()  // labels
        r.skipSharedMap()  // annotations
        r.skipOptionalList { r in
            for _ in 0..<4 { r.skipShared() }
            _ = bool(&r)
            _ = bool(&r)
        }
        r.skipSharedList()  // finalizers

        var fields = GaugeFields()
        guard r.isPresent() else { return fields }
        fields.hasStatus = true
        fields.phase = r.optionalShared().map { ResourcePhase(rawValue: $0)! }
        r.skipOptionalDate()  // vanishedAt
        if r.isPresent() {
            let n = r.int()
            fields.tags.reserveCapacity(n)
            for _ in 0..<n {
                let key = r.shared()
                r.skipShared()  // value
                fields.tags.append(GaugeFields.Tag(key: key, source: TagSource(rawValue: r.shared())!))
                r.skipDouble()  // confidence
                r.skipOptionalShared()  // rule
                r.skipOptionalShared()  // approval
                r.skipWords()  // reason
                r.skipOptionalDate()  // appliedAt
            }
        }
        _ = int(&r)  // tagCount
        fields.compliant = r.skipSharedList() == 0  // missingKeys
        r.skipOptionalList { r in  // rejected
            r.skipShared()
            r.skipShared()
            r.skipOptionalShared()
            r.skipOptionalShared()
            r.skipOptionalDate()
        }
        r.skipOptionalList { r in  // history
            r.skipDate()
            r.skipShared()  // action
            r.skipShared()  // key
            r.skipOptionalShared()  // old
            r.skipOptionalShared()  // new
            r.skipShared()  // actor
        }
        r.skipOptionalList { r in  // writtenBack
            r.skipShared()
            r.skipShared()
            r.skipDate()
            r.skipShared()
        }
        r.skipOptionalList { r in  // conditions
            r.skipShared()
            r.skipShared()
            _ = int(&r)
            r.skipDate()
            r.skipShared()
            r.skipShared()
        }
        fields.evaluated = r.isPresent()  // evaluatedAt
        return fields
    }

    /// Everything but name and namespace.
    static func pack(_ resource: CloudResource, into w: inout PackedWriter) {
        let spec = resource.spec
        w.shared(spec.provider)
        w.own(spec.id)
        w.shared(spec.type)
        w.own(spec.name)
        w.shared(spec.account)
        w.shared(spec.region)
        w.sharedMap(spec.nativeTags)
        w.sharedMap(spec.attributes)
        list(spec.relations, &w) { w, relation in
            w.shared(relation.type)
            w.shared(relation.target)
        }
        w.sharedMap(spec.manualTags)
        w.shared(resource.apiVersion)
        w.shared(resource.kind)
        let m = resource.metadata
        // Name and namespace are the store's key (whether there is a name: its key has "" without one).
        w.bool(m.name != nil)
        w.own(m.generateName)
        w.own(m.uid)
        w.own(m.resourceVersion)
        int(m.generation, &w)
        w.date(m.creationTimestamp)
        w.date(m.deletionTimestamp)
        int(m.deletionGracePeriodSeconds, &w)
        w.sharedMap(m.labels)
        w.sharedMap(m.annotations)
        list(m.ownerReferences, &w) { w, o in
            w.shared(o.apiVersion)
            w.shared(o.kind)
            w.shared(o.name)
            w.shared(o.uid)
            bool(o.controller, &w)
            bool(o.blockOwnerDeletion, &w)
        }
        w.sharedList(m.finalizers)

        guard let status = w.presence(resource.status) else { return }
        w.shared(status.phase?.rawValue)
        w.date(status.vanishedAt)
        list(status.virtualTags, &w) { w, t in
            w.shared(t.key)
            w.shared(t.value)
            w.shared(t.source.rawValue)
            w.double(t.confidence)
            w.shared(t.rule)
            w.shared(t.approval)
            w.words(t.reason)
            w.date(t.appliedAt)
        }
        int(status.tagCount.map(Int64.init), &w)
        w.sharedList(status.missingKeys)
        list(status.rejected, &w) { w, t in
            w.shared(t.key)
            w.shared(t.value)
            w.shared(t.approval)
            w.shared(t.reason)
            w.date(t.rejectedAt)
        }
        list(status.history, &w) { w, h in
            w.date(h.time)
            w.shared(h.action.rawValue)
            w.shared(h.key)
            w.shared(h.old)
            w.shared(h.new)
            w.shared(h.actor)
        }
        list(status.writtenBack, &w) { w, t in
            w.shared(t.key)
            w.shared(t.value)
            w.date(t.writtenAt)
            w.shared(t.job)
        }
        list(status.conditions, &w) { w, c in
            w.shared(c.type)
            w.shared(c.status.rawValue)
            int(c.observedGeneration, &w)
            w.date(c.lastTransitionTime)
            w.shared(c.reason)
            w.shared(c.message)
        }
        w.date(status.evaluatedAt)
        w.shared(status.modelVersion)
        int(status.observedGeneration, &w)
    }

    static func unpack(_ r: inout PackedReader, key: ObjectKey) -> CloudResource {
        // Arguments are evaluated left to right: the order they were packed in.
        let spec = CloudResourceSpec(
            provider: r.shared(), id: r.own(), type: r.shared(), name: r.optionalOwn(), account: r.optionalShared(), region: r.optionalShared(),
            nativeTags: r.sharedMap(), attributes: r.sharedMap(), relations: r.optionalList { r in Relation(type: r.shared(), target: r.shared()) },
            manualTags: r.sharedMap())
        let apiVersion = r.optionalShared()
        let kind = r.optionalShared()
        var m = ObjectMeta()
        m.name = r.bool() ? key.name : nil
        m.generateName = r.optionalOwn()
        m.namespace = key.namespace
        m.uid = r.optionalOwn()
        m.resourceVersion = r.optionalOwn()
        m.generation = int(&r)
        m.creationTimestamp = r.optionalDate()
        m.deletionTimestamp = r.optionalDate()
        m.deletionGracePeriodSeconds = int(&r)
        m.labels = r.sharedMap()
        m.annotations = r.sharedMap()
        m.ownerReferences = r.optionalList { r in
            OwnerReference(apiVersion: r.shared(), kind: r.shared(), name: r.shared(), uid: r.shared(), controller: bool(&r), blockOwnerDeletion: bool(&r))
        }
        m.finalizers = r.sharedList()

        var resource = CloudResource(metadata: m, spec: spec)
        resource.apiVersion = apiVersion
        resource.kind = kind
        guard r.isPresent() else { return resource }
        var status = CloudResourceStatus()
        status.phase = r.optionalShared().map { ResourcePhase(rawValue: $0)! }
        status.vanishedAt = r.optionalDate()
        status.virtualTags = r.optionalList { r in
            VirtualTag(key: r.shared(), value: r.shared(), source: TagSource(rawValue: r.shared())!, confidence: r.double(), rule: r.optionalShared(),
                       approval: r.optionalShared(), reason: r.words(), appliedAt: r.optionalDate())
        }
        // As stored (setting `virtualTags` recounted it).
        status.tagCount = int(&r).map(Int.init)
        status.missingKeys = r.sharedList()
        status.rejected = r.optionalList { r in
            RejectedTag(key: r.shared(), value: r.shared(), approval: r.optionalShared(), reason: r.optionalShared(), rejectedAt: r.optionalDate())
        }
        status.history = r.optionalList { r in
            TagHistoryEntry(time: r.date(), action: TagHistoryEntry.Action(rawValue: r.shared())!, key: r.shared(), old: r.optionalShared(),
                            new: r.optionalShared(), actor: r.shared())
        }
        status.writtenBack = r.optionalList { r in WrittenBackTag(key: r.shared(), value: r.shared(), writtenAt: r.date(), job: r.shared()) }
        status.conditions = r.optionalList { r in
            Condition(type: r.shared(), status: Condition.Status(rawValue: r.shared())!, observedGeneration: int(&r),
                      lastTransitionTime: r.date(), reason: r.shared(), message: r.shared())
        }
        status.evaluatedAt = r.optionalDate()
        status.modelVersion = r.optionalShared()
        status.observedGeneration = int(&r)
        resource.status = status
        return resource
    }

    /// An optional list: its presence, its count, then each element (what `PackedReader.optionalList` reads).
    private static func list<E>(_ items: [E]?, _ w: inout PackedWriter, _ element: (inout PackedWriter, E) -> Void) {
        guard let items = w.presence(items) else { return }
        w.int(items.count)
        for e in items { element(&w, e) }
    }

    private static func int(_ value: Int64?, _ w: inout PackedWriter) {
        if let value = w.presence(value) { w.int(value) }
    }

    private static func int(_ r: inout PackedReader) -> Int64? { r.isPresent() ? r.int64() : nil }

    /// nil, false, true as 0, 1, 2.
    private static func bool(_ value: Bool?, _ w: inout PackedWriter) { w.int(value.map { $0 ? 2 : 1 } ?? 0) }

    private static func bool(_ r: inout PackedReader) -> Bool? {
        switch r.int() {
        case 0: return nil
        case 1: return false
        default: return true
        }
    }
}
