import Foundation
import KubeCore

/// What kube-controller-manager does to stored objects after the request that caused it has been answered:
/// the garbage collector (dependents of deleted owners, foreground and orphan finalizers, dangling owner
/// references) and the namespace controller (emptying a Terminating namespace, then removing it).
extension Cluster {
    /// Pending controller work: the server schedules a pass when this is true after a request.
    var hasControllerWork: Bool {
        !ownersGone.isEmpty || !gcFinalizerPending.isEmpty || !danglingCandidates.isEmpty || !terminatingNamespaces.isEmpty
    }

    /// One pass of both controllers; repeats while it makes progress (cascades within one pass).
    mutating func runControllers(now: Date) {
        for _ in 0..<32 {
            let before = rv
            runGarbageCollector(now: now)
            runNamespaceController(now: now)
            if rv == before { return }
        }
    }

    // MARK: garbage collector

    mutating func runGarbageCollector(now: Date) {
        while let uid = ownersGone.popFirst() {
            collectGarbage(ownerUID: uid, now: now)
        }
        for key in gcFinalizerPending.sorted(by: { ($0.type, $0.namespace, $0.name) < ($1.type, $1.namespace, $1.name) }) {
            processGCFinalizers(key, now: now)
        }
        let candidates = danglingCandidates
        danglingCandidates = []
        for key in candidates.sorted(by: { ($0.type, $0.namespace, $0.name) < ($1.type, $1.namespace, $1.name) }) {
            collectIfDangling(key, now: now)
        }
    }

    /// `orphan`: dependents lose their reference to the owner. `foregroundDeletion`: dependents are deleted, and
    /// the owner goes once no dependent with `blockOwnerDeletion: true` is left.
    mutating func processGCFinalizers(_ key: ObjectKey, now: Date) {
        guard let t = types[key.type], let current = get(key)?.object,
              let uid = current[path: "metadata", "uid"]?.stringValue else {
            gcFinalizerPending.remove(key)
            return
        }
        var fins = (current[path: "metadata", "finalizers"]?.arrayValue ?? []).compactMap(\.stringValue)
        if fins.contains("orphan") {
            orphanDependents(of: current, now: now)
            fins.removeAll { $0 == "orphan" }
        }
        if fins.contains("foregroundDeletion") {
            collectGarbage(ownerUID: uid, now: now)
            let blocking = (dependents[uid] ?? []).contains { dep in
                (get(dep)?.object[path: "metadata", "ownerReferences"]?.arrayValue ?? []).contains {
                    $0["uid"]?.stringValue == uid && $0["blockOwnerDeletion"]?.boolValue == true
                }
            }
            if !blocking { fins.removeAll { $0 == "foregroundDeletion" } }
        }
        guard let latest = get(key)?.object else { return }
        let old = (latest[path: "metadata", "finalizers"]?.arrayValue ?? []).compactMap(\.stringValue)
        if fins == old { return }
        if !fins.contains("foregroundDeletion") { gcFinalizerPending.remove(key) }
        var o = latest
        o["metadata"]?["finalizers"] = fins.isEmpty ? nil : .array(fins.map(JSONValue.string))
        o["metadata"]?["resourceVersion"] = .string(String(nextRV()))
        if fins.isEmpty {
            finalizeDeletion(t, key, final: o)
        } else {
            put(t, key, o, eventType: "MODIFIED", old: latest)
        }
    }

    /// A dependent whose owners (of kinds this server serves) do not exist is deleted; one with some live
    /// owners loses the dangling references; an owner of a kind no API serves is never judged.
    mutating func collectIfDangling(_ key: ObjectKey, now: Date) {
        guard let t = types[key.type], let current = get(key)?.object,
              current[path: "metadata", "deletionTimestamp"] == nil else { return }
        let refs = current[path: "metadata", "ownerReferences"]?.arrayValue ?? []
        var dangling: [JSONValue] = [], solid = 0, unknown = 0
        for r in refs {
            let uid = r["uid"]?.stringValue ?? ""
            if uids[uid] != nil {
                solid += 1
            } else if servedType(apiVersion: r["apiVersion"]?.stringValue ?? "", kind: r["kind"]?.stringValue ?? "") == nil {
                unknown += 1
            } else {
                dangling.append(r)
            }
        }
        guard !dangling.isEmpty else { return }
        if solid == 0 && unknown == 0 {
            _ = deleteObject(t, key, propagation: "Background", now: now)
            return
        }
        var o = current
        o["metadata"]?["ownerReferences"] = .array(refs.filter { !dangling.contains($0) })
        o["metadata"]?["resourceVersion"] = .string(String(nextRV()))
        put(t, key, o, eventType: "MODIFIED", old: current)
    }

    func servedType(apiVersion: String, kind: String) -> ResourceType? {
        let parts = apiVersion.split(separator: "/").map(String.init)
        let group = parts.count == 2 ? parts[0] : ""
        let version = parts.last ?? ""
        return types.values.first { $0.group == group && $0.kind == kind && $0.version(version) != nil }
    }

    // MARK: namespace controller

    /// Deletes what a Terminating namespace holds, reports what remains in its conditions, and removes the
    /// namespace once it is empty.
    mutating func runNamespaceController(now: Date) {
        guard let nsType = types["/namespaces"] else { return }
        for ns in terminatingNamespaces.sorted() {
            let nsKey = ObjectKey(type: nsType.key, namespace: "", name: ns)
            guard let nsObject = get(nsKey)?.object else {
                terminatingNamespaces.remove(ns)
                continue
            }
            var remaining: [String: Int] = [:]
            var finalizers: [String: Int] = [:]
            for (typeKey, byNS) in objects {
                guard let t = types[typeKey], t.namespaced, let names = byNS[ns] else { continue }
                for name in names.keys.sorted() {
                    let key = ObjectKey(type: typeKey, namespace: ns, name: name)
                    if get(key)?.object[path: "metadata", "deletionTimestamp"] == nil {
                        _ = deleteObject(t, key, propagation: "Background", now: now)
                    }
                    guard let left = get(key)?.object else { continue }
                    remaining[t.qualifiedResource, default: 0] += 1
                    for f in (left[path: "metadata", "finalizers"]?.arrayValue ?? []).compactMap(\.stringValue) {
                        finalizers[f, default: 0] += 1
                    }
                }
            }
            if remaining.isEmpty {
                terminatingNamespaces.remove(ns)
                var final = nsObject
                final["spec"] = ["finalizers": .array([])]
                final["metadata"]?["resourceVersion"] = .string(String(nextRV()))
                finalizeDeletion(nsType, nsKey, final: final)
                continue
            }
            let time = KubeTime.format(now)
            func condition(_ type: String, _ status: String, _ reason: String, _ message: String) -> JSONValue {
                ["type": .string(type), "status": .string(status), "lastTransitionTime": .string(time), "reason": .string(reason), "message": .string(message)]
            }
            let content = remaining.keys.sorted().map { "\($0) has \(remaining[$0]!) resource instances" }.joined(separator: ", ")
            var conditions: [JSONValue] = [
                condition("NamespaceDeletionDiscoveryFailure", "False", "ResourcesDiscovered", "All resources successfully discovered"),
                condition("NamespaceDeletionGroupVersionParsingFailure", "False", "ParsedGroupVersions", "All legacy kube types successfully parsed"),
                condition("NamespaceDeletionContentFailure", "False", "ContentDeleted", "All content successfully deleted, may be waiting on finalization"),
                condition("NamespaceContentRemaining", "True", "SomeResourcesRemain", "Some resources are remaining: \(content)"),
            ]
            if !finalizers.isEmpty {
                let held = finalizers.keys.sorted().map { "\($0) in \(finalizers[$0]!) resource instances" }.joined(separator: ", ")
                conditions.append(condition("NamespaceFinalizersRemaining", "True", "SomeFinalizersRemain", "Some content in the namespace has finalizers remaining: \(held)"))
            }
            // Unchanged conditions keep their lastTransitionTime (and are not written again).
            let old = nsObject[path: "status", "conditions"]?.arrayValue ?? []
            func withoutTimes(_ cs: [JSONValue]) -> [JSONValue] { cs.map { var c = $0; c["lastTransitionTime"] = nil; return c } }
            if withoutTimes(old) == withoutTimes(conditions) { continue }
            var o = nsObject
            o["status"]?["conditions"] = .array(conditions)
            let mf = ManagedFields.recordUpdate(old: nsObject, new: o, manager: "kube-controller-manager", subresource: "status",
                                                apiVersion: nsType.apiVersion("v1"), time: time, schema: nil)
            o["metadata"]?["managedFields"] = mf
            o["metadata"]?["resourceVersion"] = .string(String(nextRV()))
            put(nsType, nsKey, o, eventType: "MODIFIED", old: nsObject)
        }
    }

    /// Marks a namespace Terminating (DELETE of a namespace): the controller does the rest.
    mutating func startNamespaceTermination(_ t: ResourceType, _ key: ObjectKey, now: Date) -> JSONValue? {
        guard let current = get(key)?.object else { return nil }
        terminatingNamespaces.insert(key.name)
        if current[path: "metadata", "deletionTimestamp"] != nil { return current }
        var o = current
        o["metadata"]?["deletionTimestamp"] = .string(KubeTime.format(now))
        o["status"] = ["phase": "Terminating"]
        o["metadata"]?["resourceVersion"] = .string(String(nextRV()))
        put(t, key, o, eventType: "MODIFIED", old: current)
        return o
    }

    /// 403 for a create in a namespace that is being deleted.
    func checkNamespaceNotTerminating(_ c: RequestContext, name: String) throws {
        guard c.type.namespaced, let ns = c.namespace,
              get(ObjectKey(type: "/namespaces", namespace: "", name: ns))?.object[path: "metadata", "deletionTimestamp"] != nil else { return }
        throw APIError(403, "Forbidden", "\(c.type.qualifiedResource) \(q(name)) is forbidden: unable to create new content in namespace \(ns) because it is being terminated",
                       details: .init(name: name, group: c.type.group, kind: c.type.plural,
                                      causes: [.init(reason: "NamespaceTerminating", message: "namespace \(ns) is being terminated", field: "metadata.namespace")]))
    }
}
