import Foundation
import KubeCore

/// A kind the server serves: built in (core, coordination, events, CRDs) or registered by a CRD.
struct ResourceType: Sendable {
    var group: String
    var kind: String
    var listKind: String
    var plural: String
    var singular: String
    var namespaced: Bool
    var shortNames: [String] = []
    var categories: [String] = []
    /// Served versions, first = preferred (storage) version.
    var versions: [Version]
    /// Custom resources: merge/JSON patch and apply only, PUT needs a resourceVersion, only metadata field selectors.
    var isCustom: Bool = false
    /// `metadata.generation` is maintained (custom resources and CRDs).
    var tracksGeneration: Bool = false
    /// JSON paths of metav1.MicroTime fields (refused without a fraction).
    var microTimeFields: [[String]] = []
    /// Verbs for discovery.
    var verbs: [String] = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
    /// PUT without resourceVersion is allowed (most built-in kinds).
    var allowUnconditionalUpdate: Bool = true
    /// A delete that removes the object at once returns it (true) or a Success Status (false, custom
    /// resources as recorded in 12).
    var returnDeletedObject: Bool = false

    struct Version: Sendable {
        var name: String
        var hasStatus: Bool
        var schema: JSONValue?
        var printerColumns: [JSONValue] = []
        /// The schema has `x-kubernetes-validations` somewhere.
        var hasCEL: Bool = false
        /// Those rules, compiled (nil: none).
        var celRules: CELValidationRules?
    }

    var key: String { "\(group)/\(plural)" }
    var qualifiedResource: String { group.isEmpty ? plural : "\(plural).\(group)" }
    var qualifiedKind: String { group.isEmpty ? kind : "\(kind).\(group)" }
    func apiVersion(_ version: String) -> String { group.isEmpty ? version : "\(group)/\(version)" }
    var storageVersion: Version { versions[0] }
    func version(_ name: String) -> Version? { versions.first { $0.name == name } }
    func hasStatus(_ version: String) -> Bool { self.version(version)?.hasStatus ?? storageVersion.hasStatus }

    static let builtIns: [ResourceType] = [
        ResourceType(group: "", kind: "Namespace", listKind: "NamespaceList", plural: "namespaces", singular: "namespace",
                     namespaced: false, shortNames: ["ns"], versions: [Version(name: "v1", hasStatus: true)],
                     verbs: ["create", "delete", "get", "list", "patch", "update", "watch"], returnDeletedObject: true),
        ResourceType(group: "", kind: "ConfigMap", listKind: "ConfigMapList", plural: "configmaps", singular: "configmap",
                     namespaced: true, shortNames: ["cm"], versions: [Version(name: "v1", hasStatus: false)]),
        ResourceType(group: "", kind: "Secret", listKind: "SecretList", plural: "secrets", singular: "secret",
                     namespaced: true, versions: [Version(name: "v1", hasStatus: false)]),
        ResourceType(group: "", kind: "Event", listKind: "EventList", plural: "events", singular: "event",
                     namespaced: true, shortNames: ["ev"], versions: [Version(name: "v1", hasStatus: false)],
                     microTimeFields: [["eventTime"], ["series", "lastObservedTime"]]),
        ResourceType(group: "events.k8s.io", kind: "Event", listKind: "EventList", plural: "events", singular: "event",
                     namespaced: true, shortNames: ["ev"], versions: [Version(name: "v1", hasStatus: false)],
                     microTimeFields: [["eventTime"], ["series", "lastObservedTime"]]),
        ResourceType(group: "coordination.k8s.io", kind: "Lease", listKind: "LeaseList", plural: "leases", singular: "lease",
                     namespaced: true, versions: [Version(name: "v1", hasStatus: false)],
                     microTimeFields: [["spec", "acquireTime"], ["spec", "renewTime"]]),
        ResourceType(group: "", kind: "ServiceAccount", listKind: "ServiceAccountList", plural: "serviceaccounts", singular: "serviceaccount",
                     namespaced: true, shortNames: ["sa"], versions: [Version(name: "v1", hasStatus: false)]),
        ResourceType(group: "rbac.authorization.k8s.io", kind: "Role", listKind: "RoleList", plural: "roles", singular: "role",
                     namespaced: true, versions: [Version(name: "v1", hasStatus: false)]),
        ResourceType(group: "rbac.authorization.k8s.io", kind: "RoleBinding", listKind: "RoleBindingList", plural: "rolebindings",
                     singular: "rolebinding", namespaced: true, versions: [Version(name: "v1", hasStatus: false)]),
        ResourceType(group: "rbac.authorization.k8s.io", kind: "ClusterRole", listKind: "ClusterRoleList", plural: "clusterroles",
                     singular: "clusterrole", namespaced: false, versions: [Version(name: "v1", hasStatus: false)]),
        ResourceType(group: "rbac.authorization.k8s.io", kind: "ClusterRoleBinding", listKind: "ClusterRoleBindingList",
                     plural: "clusterrolebindings", singular: "clusterrolebinding", namespaced: false,
                     versions: [Version(name: "v1", hasStatus: false)]),
        ResourceType(group: "apiextensions.k8s.io", kind: "CustomResourceDefinition", listKind: "CustomResourceDefinitionList",
                     plural: "customresourcedefinitions", singular: "customresourcedefinition", namespaced: false,
                     shortNames: ["crd", "crds"], categories: ["api-extensions"], versions: [Version(name: "v1", hasStatus: true)],
                     tracksGeneration: true, returnDeletedObject: true),
    ]

    /// The kind a CustomResourceDefinition object declares, or the reasons it is invalid.
    static func fromCRD(_ crd: JSONValue) -> Result<ResourceType, CRDProblems> {
        var causes: [StatusResponse.Cause] = []
        let spec = crd["spec"] ?? .null
        let group = spec["group"]?.stringValue ?? ""
        let names = spec["names"] ?? .null
        let plural = names["plural"]?.stringValue ?? ""
        let kind = names["kind"]?.stringValue ?? ""
        let scope = spec["scope"]?.stringValue ?? ""
        if group.isEmpty { causes.append(.init(reason: "FieldValueRequired", message: "Required value", field: "spec.group")) }
        if plural.isEmpty { causes.append(.init(reason: "FieldValueRequired", message: "Required value", field: "spec.names.plural")) }
        if kind.isEmpty { causes.append(.init(reason: "FieldValueRequired", message: "Required value", field: "spec.names.kind")) }
        if scope != "Namespaced" && scope != "Cluster" {
            causes.append(.init(reason: "FieldValueNotSupported", message: "Unsupported value: \(q(scope)): supported values: \"Cluster\", \"Namespaced\"", field: "spec.scope"))
        }
        let name = crd[path: "metadata", "name"]?.stringValue ?? ""
        if !plural.isEmpty, !group.isEmpty, name != "\(plural).\(group)" {
            causes.append(.init(reason: "FieldValueInvalid", message: "Invalid value: \(q(name)): must be spec.names.plural+\".\"+spec.group", field: "metadata.name"))
        }
        var versions: [Version] = []
        var storage: Version?
        let specVersions = spec["versions"]?.arrayValue ?? []
        // One schema for every version is shown (and refused) as spec.validation, like the API server does.
        let sharedSchema = Set(specVersions.map { $0[path: "schema", "openAPIV3Schema"] ?? .null }).count == 1
        var compiled: [JSONValue: CELValidationRules] = [:]
        for (i, v) in specVersions.enumerated() {
            guard let vname = v["name"]?.stringValue else { continue }
            let schema = v[path: "schema", "openAPIV3Schema"]
            var rules: CELValidationRules?
            if let schema, containsCEL(schema) {
                if let done = compiled[schema] {
                    rules = done
                } else {
                    let prefix = sharedSchema ? "spec.validation.openAPIV3Schema" : "spec.versions[\(i)].schema.openAPIV3Schema"
                    switch CELValidationRules.compile(schema: schema, fieldPrefix: prefix) {
                    case .success(let r):
                        rules = r
                        compiled[schema] = r
                    case .failure(let p):
                        if !(sharedSchema && i > 0) { causes += p.causes }
                    }
                }
            }
            let version = Version(
                name: vname, hasStatus: v[path: "subresources", "status"] != nil, schema: schema,
                printerColumns: v["additionalPrinterColumns"]?.arrayValue ?? [],
                hasCEL: schema.map(containsCEL) ?? false, celRules: rules)
            if v["storage"]?.boolValue == true { storage = version }
            if v["served"]?.boolValue != false, v["storage"]?.boolValue != true { versions.append(version) }
        }
        if let storage { versions.insert(storage, at: 0) }
        if versions.isEmpty {
            causes.append(.init(reason: "FieldValueInvalid", message: "Invalid value: []: must have exactly one version marked as storage version", field: "spec.versions"))
        }
        if !causes.isEmpty { return .failure(CRDProblems(causes: causes)) }
        return .success(ResourceType(
            group: group, kind: kind, listKind: names["listKind"]?.stringValue ?? "\(kind)List", plural: plural,
            singular: names["singular"]?.stringValue ?? kind.lowercased(), namespaced: scope == "Namespaced",
            shortNames: names["shortNames"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            categories: names["categories"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            versions: versions, isCustom: true, tracksGeneration: true,
            allowUnconditionalUpdate: false, returnDeletedObject: false))
    }

    static func containsCEL(_ schema: JSONValue) -> Bool {
        switch schema {
        case .object(let o):
            if o["x-kubernetes-validations"] != nil { return true }
            return o.values.contains(where: containsCEL)
        case .array(let a): return a.contains(where: containsCEL)
        default: return false
        }
    }
}

/// Why a CustomResourceDefinition cannot be served.
struct CRDProblems: Error, Sendable {
    var causes: [StatusResponse.Cause]
}
