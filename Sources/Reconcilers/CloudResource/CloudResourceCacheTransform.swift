import K8sClient
import KubeCore
import TaggingAPI

/// What the operator keeps of a CloudResource in its cache: everything the tagger reads or writes back
/// (it replaces the whole status, so the status stays complete), with what repeats across an estate
/// shared instead of held once per resource, and the annotations dropped (nothing in the operator reads
/// them, and `kubectl apply` puts a copy of the whole object in one).
///
/// Shared: strings (`StringInterner`), and whole dictionaries and lists that are often equal from one
/// resource to the next (`ValueInterner`): labels, owner references, native tags, attributes, relations,
/// missing keys and conditions. A resource's own values (name, uid, id, its virtual tags and history)
/// stay its own. The result equals the input but for the annotations.
public enum CloudResourceCacheTransform {
    /// For a cache that packs resources (`CloudResourcePacking`, the operator's): the annotations dropped and
    /// the namespace shared, nothing else. The packing writes every other field, the spec's maps included, into
    /// the resource's bytes: sharing strings or maps that are packed would keep a second copy of them alive in
    /// the interners' tables, beside the packed bytes.
    public static func beforePacking(_ intern: StringInterner = StringInterner()) -> Store<CloudResource>.Transform {
        return { resource in
            var r = resource
            r.metadata.annotations = nil
            r.metadata.namespace = intern(r.metadata.namespace)
            return r
        }
    }

    /// The spec's recurring strings, maps and relations, shared.
    private static func share(
        _ spec: inout CloudResourceSpec, _ intern: StringInterner, _ maps: ValueInterner<[String: String]>, _ relations: ValueInterner<[Relation]>
    ) {
        spec.provider = intern(spec.provider)
        spec.type = intern(spec.type)
        spec.account = intern(spec.account)
        spec.region = intern(spec.region)
        spec.nativeTags = maps(spec.nativeTags) { intern($0) ?? [:] }
        spec.attributes = maps(spec.attributes) { intern($0) ?? [:] }
        spec.relations = relations(spec.relations) { list in list.map { Relation(type: intern($0.type), target: intern($0.target)) } }
    }

    public static func make(_ intern: StringInterner = StringInterner()) -> Store<CloudResource>.Transform {
        let maps = ValueInterner<[String: String]>()
        let owners = ValueInterner<[OwnerReference]>(capacity: 1_000)
        let relations = ValueInterner<[Relation]>()
        let keyLists = ValueInterner<[String]>(capacity: 1_000)
        let conditionLists = ValueInterner<[Condition]>()
        let map: @Sendable ([String: String]?) -> [String: String]? = { maps($0) { intern($0) ?? [:] } }
        return { resource in
            var r = resource
            r.apiVersion = intern(r.apiVersion)
            r.kind = intern(r.kind)
            r.metadata.annotations = nil
            r.metadata.namespace = intern(r.metadata.namespace)
            r.metadata.labels = map(r.metadata.labels)
            r.metadata.ownerReferences = owners(r.metadata.ownerReferences) { list in
                list.map {
                    OwnerReference(apiVersion: intern($0.apiVersion), kind: intern($0.kind), name: intern($0.name), uid: intern($0.uid),
                                   controller: $0.controller, blockOwnerDeletion: $0.blockOwnerDeletion)
                }
            }
            share(&r.spec, intern, maps, relations)
            if var status = r.status {
                status.virtualTags = status.virtualTags?.map { t in
                    var t = t
                    t.key = intern(t.key)
                    t.value = intern(t.value)
                    t.rule = intern(t.rule)
                    t.approval = intern(t.approval)
                    t.reason = intern(t.reason)
                    return t
                }
                status.missingKeys = keyLists(status.missingKeys) { list in list.map { intern($0) } }
                status.history = status.history?.map {
                    TagHistoryEntry(time: $0.time, action: $0.action, key: intern($0.key), old: intern($0.old), new: intern($0.new), actor: intern($0.actor))
                }
                status.conditions = conditionLists(status.conditions) { list in
                    list.map { c in
                        var c = c
                        c.type = intern(c.type)
                        c.reason = intern(c.reason)
                        c.message = intern(c.message)
                        return c
                    }
                }
                status.modelVersion = intern(status.modelVersion)
                r.status = status
            }
            return r
        }
    }
}
