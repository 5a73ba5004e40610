import K8sClient
import KubeCore
import TaggingAPI

/// What the operator keeps of a CloudResource in its cache: everything the tagger reads or writes back
/// (it replaces the whole status, so the status stays complete), with the strings that repeat across an
/// estate shared (`StringInterner`), and the annotations dropped (nothing in the operator reads them, and
/// `kubectl apply` puts a copy of the whole object in one).
public enum CloudResourceCacheTransform {
    public static func make(_ intern: StringInterner = StringInterner()) -> Store<CloudResource>.Transform {
        { resource in
            var r = resource
            r.metadata.annotations = nil
            r.metadata.namespace = intern(r.metadata.namespace)
            r.metadata.labels = intern(r.metadata.labels)
            r.metadata.ownerReferences = r.metadata.ownerReferences?.map {
                OwnerReference(apiVersion: intern($0.apiVersion), kind: intern($0.kind), name: intern($0.name), uid: intern($0.uid),
                               controller: $0.controller, blockOwnerDeletion: $0.blockOwnerDeletion)
            }
            r.spec.provider = intern(r.spec.provider)
            r.spec.type = intern(r.spec.type)
            r.spec.account = intern(r.spec.account)
            r.spec.region = intern(r.spec.region)
            r.spec.nativeTags = intern(r.spec.nativeTags)
            r.spec.attributes = intern(r.spec.attributes)
            r.spec.relations = r.spec.relations?.map { Relation(type: intern($0.type), target: intern($0.target)) }
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
                status.missingKeys = status.missingKeys?.map { intern($0) }
                status.history = status.history?.map {
                    TagHistoryEntry(time: $0.time, action: $0.action, key: intern($0.key), old: intern($0.old), new: intern($0.new), actor: intern($0.actor))
                }
                status.conditions = status.conditions?.map { c in
                    var c = c
                    c.type = intern(c.type)
                    c.reason = intern(c.reason)
                    c.message = intern(c.message)
                    return c
                }
                status.modelVersion = intern(status.modelVersion)
                r.status = status
            }
            return r
        }
    }
}
