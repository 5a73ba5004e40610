import Foundation
import KubeCore

/// The RBAC API's own guard against privilege escalation, as kube-apiserver's rbac storage applies it: a Role or
/// ClusterRole may be written only by someone who already holds every permission in it (in the Role's
/// namespace; cluster-wide for a ClusterRole) or has `escalate` on it; a RoleBinding or ClusterRoleBinding only
/// by someone who holds every permission of the role it refers to, where the binding grants it, or has `bind`
/// on that role. Otherwise 403, listing what the writer does not hold.
extension Cluster {
    func checkEscalation(_ object: JSONValue, _ c: RequestContext, _ user: UserInfo) throws {
        let plural = c.type.plural
        let namespace = c.type.namespaced ? c.namespace : nil
        let name = object[path: "metadata", "name"]?.stringValue ?? c.name ?? ""
        let granted: [JSONValue]
        switch plural {
        case "roles", "clusterroles":
            let escalate = AccessAttributes(verb: "escalate", group: Self.rbacGroup, resource: plural, namespace: namespace, name: name)
            if authorize(user, escalate).allowed { return }
            granted = object["rules"]?.arrayValue ?? []
        case "rolebindings", "clusterrolebindings":
            let kind = object[path: "roleRef", "kind"]?.stringValue ?? ""
            let role = object[path: "roleRef", "name"]?.stringValue ?? ""
            let rolePlural = kind == "ClusterRole" ? "clusterroles" : "roles"
            let bind = AccessAttributes(verb: "bind", group: Self.rbacGroup, resource: rolePlural, namespace: namespace, name: role)
            if authorize(user, bind).allowed { return }
            granted = kind == "ClusterRole" ? clusterRoleRules(role)
                : (objects["\(Self.rbacGroup)/roles"]?[namespace ?? ""]?[role]?.object["rules"]?.arrayValue ?? [])
        default:
            return
        }
        let notHeld = Self.singlePermissions(granted, namespace: namespace).filter { !authorize(user, $0).allowed }
        guard !notHeld.isEmpty else { return }
        let groups = "[" + user.groups.map { q($0) }.joined(separator: " ") + "]"
        let lines = notHeld.map { a in
            let resource = a.subresource.map { "\(a.resource)/\($0)" } ?? a.resource
            let names = a.name.map { ", ResourceNames:[\(q($0))]" } ?? ""
            return "{APIGroups:[\(q(a.group))], Resources:[\(q(resource))]\(names), Verbs:[\(q(a.verb))]}"
        }
        throw APIError(403, "Forbidden",
                       "\(plural).\(Self.rbacGroup) \(q(name)) is forbidden: user \(q(user.name)) (groups=\(groups)) is attempting to grant RBAC permissions not currently held:\n"
                           + lines.joined(separator: "\n"),
                       details: .init(name: name, group: Self.rbacGroup, kind: plural))
    }

    /// Rules broken down into one (group, resource, verb, name) each, wildcards kept: a `*` is held only by a
    /// rule with `*` there. Non-resource URLs are not modelled and so not checked.
    static func singlePermissions(_ rules: [JSONValue], namespace: String?) -> [AccessAttributes] {
        var out: [AccessAttributes] = []
        for rule in rules {
            func list(_ k: String) -> [String] { (rule[k]?.arrayValue ?? []).compactMap(\.stringValue) }
            let names: [String?] = list("resourceNames").isEmpty ? [nil] : list("resourceNames").map { $0 }
            for group in list("apiGroups") {
                for resource in list("resources") {
                    let parts = resource.split(separator: "/", maxSplits: 1).map(String.init)
                    for verb in list("verbs") {
                        for name in names {
                            out.append(AccessAttributes(verb: verb, group: group, resource: parts[0], subresource: parts.dropFirst().first,
                                                        namespace: namespace, name: name))
                        }
                    }
                }
            }
        }
        return out
    }
}
