import Foundation
import KubeCore

/// Who is asking: the authenticated (or impersonated) user and the groups the API server gives them.
struct UserInfo: Sendable, Equatable {
    var name: String
    var groups: [String]

    /// A ServiceAccount's user name brings its groups, as the token authenticator and impersonation add them.
    init(name: String, extraGroups: [String] = []) {
        self.name = name
        var groups = extraGroups
        let parts = name.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 4, parts[0] == "system", parts[1] == "serviceaccount" {
            groups += ["system:serviceaccounts", "system:serviceaccounts:\(parts[2])"]
        }
        if name != "system:anonymous", !groups.contains("system:authenticated") { groups.append("system:authenticated") }
        self.groups = groups
    }
}

/// One request as RBAC sees it.
struct AccessAttributes: Sendable {
    var verb: String
    var group: String
    var resource: String
    var subresource: String?
    var namespace: String?
    var name: String?
}

struct RBACDecision: Sendable {
    var allowed: Bool
    /// "RBAC: allowed by RoleBinding "b/ns" of Role "r" to User "u"" when allowed.
    var reason: String?
}

/// RBAC from the Role, ClusterRole, RoleBinding and ClusterRoleBinding objects stored in the server, with
/// ClusterRole aggregation (aggregationRule.clusterRoleSelectors, matchLabels and matchExpressions).
extension Cluster {
    static let rbacGroup = "rbac.authorization.k8s.io"

    func rbacObjects(_ plural: String, namespace: String = "") -> [JSONValue] {
        (objects["\(Self.rbacGroup)/\(plural)"]?[namespace] ?? [:]).keys.sorted().compactMap {
            objects["\(Self.rbacGroup)/\(plural)"]?[namespace]?[$0]?.object
        }
    }

    /// Rules of a ClusterRole, with those of the ClusterRoles its aggregationRule selects.
    func clusterRoleRules(_ name: String) -> [JSONValue] {
        guard let role = objects["\(Self.rbacGroup)/clusterroles"]?[""]?[name]?.object else { return [] }
        var rules = role["rules"]?.arrayValue ?? []
        let selectors = role[path: "aggregationRule", "clusterRoleSelectors"]?.arrayValue ?? []
        guard !selectors.isEmpty else { return rules }
        for other in rbacObjects("clusterroles") where other[path: "metadata", "name"]?.stringValue != name {
            let labels = labelsOf(other)
            if selectors.contains(where: { Self.selectorMatches($0, labels) }) {
                rules += other["rules"]?.arrayValue ?? []
            }
        }
        return rules
    }

    static func selectorMatches(_ selector: JSONValue, _ labels: [String: String]) -> Bool {
        for (k, v) in selector["matchLabels"]?.objectValue ?? [:] where labels[k] != v.stringValue { return false }
        for e in selector["matchExpressions"]?.arrayValue ?? [] {
            let key = e["key"]?.stringValue ?? ""
            let values = (e["values"]?.arrayValue ?? []).compactMap(\.stringValue)
            switch e["operator"]?.stringValue {
            case "In": if !values.contains(labels[key] ?? "\u{0}") { return false }
            case "NotIn": if let l = labels[key], values.contains(l) { return false }
            case "Exists": if labels[key] == nil { return false }
            case "DoesNotExist": if labels[key] != nil { return false }
            default: return false
            }
        }
        return true
    }

    static func ruleAllows(_ rule: JSONValue, _ a: AccessAttributes) -> Bool {
        func list(_ k: String) -> [String] { (rule[k]?.arrayValue ?? []).compactMap(\.stringValue) }
        let verbs = list("verbs")
        guard verbs.contains("*") || verbs.contains(a.verb) else { return false }
        let groups = list("apiGroups")
        guard groups.contains("*") || groups.contains(a.group) else { return false }
        let resources = list("resources")
        let combined = a.subresource.map { "\(a.resource)/\($0)" } ?? a.resource
        let resourceOK = resources.contains("*") || resources.contains(combined)
            || (a.subresource != nil && resources.contains("*/\(a.subresource!)"))
        guard resourceOK else { return false }
        let names = list("resourceNames")
        if names.isEmpty { return true }
        guard let n = a.name else { return false }
        return names.contains(n)
    }

    static func subjectMatches(_ s: JSONValue, _ u: UserInfo, bindingNamespace: String) -> String? {
        let name = s["name"]?.stringValue ?? ""
        switch s["kind"]?.stringValue {
        case "User": return name == u.name ? "User \(q(name))" : nil
        case "Group": return u.groups.contains(name) ? "Group \(q(name))" : nil
        case "ServiceAccount":
            let ns = s["namespace"]?.stringValue ?? bindingNamespace
            return u.name == "system:serviceaccount:\(ns):\(name)" ? "ServiceAccount \(q("\(name)/\(ns)"))" : nil
        default: return nil
        }
    }

    /// The RBAC authoriser: ClusterRoleBindings first, then the RoleBindings of the request's namespace.
    func authorize(_ u: UserInfo, _ a: AccessAttributes) -> RBACDecision {
        if u.groups.contains("system:masters") { return RBACDecision(allowed: true, reason: nil) }
        for b in rbacObjects("clusterrolebindings") {
            guard b[path: "roleRef", "kind"] == "ClusterRole", let role = b[path: "roleRef", "name"]?.stringValue else { continue }
            for s in b["subjects"]?.arrayValue ?? [] {
                guard let who = Self.subjectMatches(s, u, bindingNamespace: "") else { continue }
                if clusterRoleRules(role).contains(where: { Self.ruleAllows($0, a) }) {
                    let name = b[path: "metadata", "name"]?.stringValue ?? ""
                    return RBACDecision(allowed: true, reason: "RBAC: allowed by ClusterRoleBinding \(q(name)) of ClusterRole \(q(role)) to \(who)")
                }
            }
        }
        guard let ns = a.namespace, !ns.isEmpty else { return RBACDecision(allowed: false) }
        for b in rbacObjects("rolebindings", namespace: ns) {
            let kind = b[path: "roleRef", "kind"]?.stringValue ?? ""
            guard let role = b[path: "roleRef", "name"]?.stringValue else { continue }
            for s in b["subjects"]?.arrayValue ?? [] {
                guard let who = Self.subjectMatches(s, u, bindingNamespace: ns) else { continue }
                let rules = kind == "ClusterRole" ? clusterRoleRules(role)
                    : (objects["\(Self.rbacGroup)/roles"]?[ns]?[role]?.object["rules"]?.arrayValue ?? [])
                if rules.contains(where: { Self.ruleAllows($0, a) }) {
                    let name = b[path: "metadata", "name"]?.stringValue ?? ""
                    return RBACDecision(allowed: true, reason: "RBAC: allowed by RoleBinding \(q("\(name)/\(ns)")) of \(kind) \(q(role)) to \(who)")
                }
            }
        }
        return RBACDecision(allowed: false)
    }

    /// The 403 the API server sends for a denied request.
    static func forbidden(_ u: String, _ a: AccessAttributes) -> APIError {
        let qualified = a.group.isEmpty ? a.resource : "\(a.resource).\(a.group)"
        let what = a.name.map { "\(qualified) \(q($0))" } ?? qualified
        let resourceName = a.subresource.map { "\(a.resource)/\($0)" } ?? a.resource
        let scope = a.namespace.map { " in the namespace \(q($0))" } ?? " at the cluster scope"
        return APIError(403, "Forbidden",
                        "\(what) is forbidden: User \(q(u)) cannot \(a.verb) resource \(q(resourceName)) in API group \(q(a.group))\(scope)",
                        details: .init(name: a.name, group: a.group, kind: a.resource))
    }
}
