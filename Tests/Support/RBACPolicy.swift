import Foundation
import KubeCore

/// The RBAC objects of manifests/ (ClusterRoles, Roles and their bindings), evaluated the way the API server's
/// RBAC authorizer does, so a test can ask "may the operator's ServiceAccount do this request?".
///
/// Meant to be reused against recorded traffic: map each recorded request with `RBACRequest(method:path:)`
/// and check `policy.allows(.operatorServiceAccount, request)`.
public struct RBACPolicy: Sendable {
    public struct Rule: Hashable, Sendable {
        public var apiGroups: [String]
        public var resources: [String]
        public var verbs: [String]
        public var resourceNames: [String]
        public var nonResourceURLs: [String]

        public func allows(_ r: RBACRequest) -> Bool {
            guard verbs.contains("*") || verbs.contains(r.verb) else { return false }
            if r.isNonResource {
                return nonResourceURLs.contains { $0 == r.path || ($0.hasSuffix("*") && r.path.hasPrefix(String($0.dropLast()))) }
            }
            guard apiGroups.contains("*") || apiGroups.contains(r.apiGroup) else { return false }
            let combined = r.subresource.map { "\(r.resource)/\($0)" } ?? r.resource
            let resourceOK = resources.contains { granted in
                granted == "*" || granted == combined || (r.subresource != nil && granted == "*/\(r.subresource!)")
            }
            guard resourceOK else { return false }
            return resourceNames.isEmpty || (r.name.map(resourceNames.contains) ?? false)
        }
    }

    public enum Subject: Hashable, Sendable {
        case serviceAccount(namespace: String, name: String)
        case user(String)
        case group(String)

        public static let operatorServiceAccount = Subject.serviceAccount(namespace: "vtag-system", name: "vtag-operator")
    }

    public struct Binding: Sendable {
        public var namespace: String?  // nil: ClusterRoleBinding
        public var roleKind: String  // Role or ClusterRole
        public var roleName: String
        public var subjects: [Subject]
    }

    public var clusterRoles: [String: [Rule]] = [:]
    public var clusterRoleLabels: [String: [String: String]] = [:]
    public var roles: [String: [Rule]] = [:]  // "namespace/name"
    public var bindings: [Binding] = []

    public struct LoadError: Error, CustomStringConvertible { public var description: String }

    /// The RBAC objects among the files a kustomization lists (directories, i.e. other kustomizations such as
    /// ../crds, are skipped: they hold no RBAC). Namespaced objects without a namespace get the
    /// kustomization's, as `kubectl kustomize` would give them.
    public static func load(kustomization directory: String = "manifests") throws -> RBACPolicy {
        guard let kustomization = try RepoFiles.documents(RepoFiles.url("\(directory)/kustomization.yaml")).first else {
            throw LoadError(description: "\(directory)/kustomization.yaml is empty")
        }
        let defaultNamespace = kustomization["namespace"]?.stringValue
        var documents: [JSONValue] = []
        for resource in kustomization["resources"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            let url = RepoFiles.url("\(directory)/\(resource)")
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
                throw LoadError(description: "\(directory)/kustomization.yaml lists \(resource), which does not exist")
            }
            if !isDirectory.boolValue { documents += try RepoFiles.documents(url) }
        }
        return try RBACPolicy(documents: documents, defaultNamespace: defaultNamespace)
    }

    public init(documents: [JSONValue], defaultNamespace: String? = nil) throws {
        var aggregations: [String: [[String: String]]] = [:]
        for doc in documents where doc["apiVersion"]?.stringValue == "rbac.authorization.k8s.io/v1" {
            let kind = doc["kind"]?.stringValue ?? ""
            let name = doc[path: "metadata", "name"]?.stringValue ?? ""
            let namespace = doc[path: "metadata", "namespace"]?.stringValue ?? defaultNamespace
            switch kind {
            case "ClusterRole":
                clusterRoles[name] = try Self.rules(doc)
                clusterRoleLabels[name] = (doc[path: "metadata", "labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
                if let selectors = doc[path: "aggregationRule", "clusterRoleSelectors"]?.arrayValue {
                    aggregations[name] = selectors.map { ($0["matchLabels"]?.objectValue ?? [:]).compactMapValues(\.stringValue) }
                }
            case "Role":
                guard let namespace else { throw LoadError(description: "Role \(name) has no namespace") }
                roles["\(namespace)/\(name)"] = try Self.rules(doc)
            case "ClusterRoleBinding", "RoleBinding":
                let subjects = (doc["subjects"]?.arrayValue ?? []).compactMap { s -> Subject? in
                    switch s["kind"]?.stringValue {
                    case "ServiceAccount":
                        return .serviceAccount(namespace: s["namespace"]?.stringValue ?? namespace ?? "", name: s["name"]?.stringValue ?? "")
                    case "User": return .user(s["name"]?.stringValue ?? "")
                    case "Group": return .group(s["name"]?.stringValue ?? "")
                    default: return nil
                    }
                }
                bindings.append(Binding(
                    namespace: kind == "RoleBinding" ? namespace : nil,
                    roleKind: doc[path: "roleRef", "kind"]?.stringValue ?? "",
                    roleName: doc[path: "roleRef", "name"]?.stringValue ?? "", subjects: subjects))
            default:
                throw LoadError(description: "unexpected RBAC kind \(kind)")
            }
        }
        // Aggregated ClusterRoles get the rules of every ClusterRole whose labels match a selector.
        for (name, selectors) in aggregations {
            let members = clusterRoleLabels.filter { member in
                selectors.contains { selector in selector.allSatisfy { member.value[$0.key] == $0.value } }
            }
            clusterRoles[name, default: []] += members.keys.sorted().flatMap { clusterRoles[$0] ?? [] }
        }
    }

    public static func rules(_ doc: JSONValue) throws -> [Rule] {
        (doc["rules"]?.arrayValue ?? []).map { r in
            func list(_ key: String) -> [String] { r[key]?.arrayValue?.compactMap(\.stringValue) ?? [] }
            return Rule(apiGroups: list("apiGroups"), resources: list("resources"), verbs: list("verbs"),
                        resourceNames: list("resourceNames"), nonResourceURLs: list("nonResourceURLs"))
        }
    }

    /// Whether `subject` may make `request`, through any binding in the manifests.
    public func allows(_ subject: Subject, _ request: RBACRequest) -> Bool {
        rules(for: subject, in: request.namespace).contains { $0.allows(request) }
    }

    /// The rules that apply to a subject in a namespace (nil: cluster scope, including all-namespace lists).
    public func rules(for subject: Subject, in namespace: String?) -> [Rule] {
        bindings.filter { $0.subjects.contains(subject) }.flatMap { b -> [Rule] in
            if let bound = b.namespace {
                guard bound == namespace else { return [] }
                return b.roleKind == "Role" ? roles["\(bound)/\(b.roleName)"] ?? [] : clusterRoles[b.roleName] ?? []
            }
            return b.roleKind == "ClusterRole" ? clusterRoles[b.roleName] ?? [] : []
        }
    }

    /// Whether a ClusterRole's own rules (with aggregation) allow a request, as if bound in the request's namespace.
    public func clusterRole(_ name: String, allows request: RBACRequest) -> Bool {
        (clusterRoles[name] ?? []).contains { $0.allows(request) }
    }

    /// ClusterRoles carrying an aggregation label, e.g. `rbac.authorization.k8s.io/aggregate-to-edit`.
    public func clusterRoles(aggregatedBy label: String) -> Set<String> {
        Set(clusterRoleLabels.filter { $0.value[label] == "true" }.keys)
    }
}

/// One API request as RBAC sees it: verb, API group, resource, subresource, namespace, name.
public struct RBACRequest: Hashable, Sendable, CustomStringConvertible {
    public var verb: String
    public var apiGroup: String = ""
    public var resource: String = ""
    public var subresource: String?
    public var namespace: String?
    public var name: String?
    /// For non-resource URLs such as /healthz or /apis (discovery).
    public var path: String = ""
    public var isNonResource = false

    public init(verb: String, apiGroup: String = "", resource: String, subresource: String? = nil, namespace: String? = nil, name: String? = nil) {
        self.verb = verb
        self.apiGroup = apiGroup
        self.resource = resource
        self.subresource = subresource
        self.namespace = namespace
        self.name = name
    }

    /// Maps an HTTP request (as a test server records it) to RBAC attributes, as the API server's request info
    /// resolver does: GET on a collection is list (watch with `watch=true` or a /watch/ path), on an object get;
    /// POST create, PUT update, PATCH patch, DELETE delete (deletecollection on a collection).
    public init(method: String, path rawPath: String) {
        let (path, query) = Self.split(rawPath)
        var parts = path.split(separator: "/").map(String.init)
        self.verb = ""
        self.path = path
        let watchQuery = ["true", "1"].contains(query["watch"] ?? "")
        guard parts.first == "api" || parts.first == "apis" else {
            isNonResource = true
            verb = method.lowercased()
            return
        }
        if parts.first == "api" {
            parts.removeFirst()  // api
            apiGroup = ""
        } else {
            parts.removeFirst()  // apis
            apiGroup = parts.isEmpty ? "" : parts.removeFirst()
        }
        guard !parts.isEmpty else { isNonResource = true; verb = method.lowercased(); return }
        parts.removeFirst()  // version
        var isWatchPath = false
        if parts.first == "watch" { isWatchPath = true; parts.removeFirst() }
        if parts.count >= 3, parts[0] == "namespaces" {
            namespace = parts[1]
            parts.removeFirst(2)
        } else if parts.count == 2, parts[0] == "namespaces" {
            // /api/v1/namespaces/NAME is the namespace object itself.
            namespace = parts[1]
        }
        guard !parts.isEmpty else { isNonResource = true; verb = method.lowercased(); return }
        resource = parts[0]
        if parts.count > 1 { name = parts[1] }
        if parts.count > 2 { subresource = parts[2...].joined(separator: "/") }
        let collection = name == nil
        switch method.uppercased() {
        case "GET", "HEAD":
            verb = isWatchPath || (collection && watchQuery) ? "watch" : (collection ? "list" : "get")
        case "POST": verb = "create"
        case "PUT": verb = "update"
        case "PATCH": verb = "patch"
        case "DELETE": verb = collection ? "deletecollection" : "delete"
        default: verb = method.lowercased()
        }
    }

    public static func split(_ raw: String) -> (String, [String: String]) {
        guard let q = raw.firstIndex(of: "?") else { return (raw, [:]) }
        var query: [String: String] = [:]
        for pair in raw[raw.index(after: q)...].split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            query[kv[0]] = kv.count > 1 ? (kv[1].removingPercentEncoding ?? kv[1]) : ""
        }
        return (String(raw[..<q]), query)
    }

    public var description: String {
        if isNonResource { return "\(verb) \(path)" }
        let r = subresource.map { "\(resource)/\($0)" } ?? resource
        let g = apiGroup.isEmpty ? "core" : apiGroup
        return "\(verb) \(r).\(g)\(name.map { " \($0)" } ?? "") in \(namespace ?? "<all namespaces>")"
    }
}
