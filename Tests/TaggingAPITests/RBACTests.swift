import VTagTestSupport
import Foundation
import Testing

/// The operator cannot do anything broad; the people's roles grant what their names say.
@Suite struct RBACTests {
    typealias R = RBACRequest
    static let op = RBACPolicy.Subject.operatorServiceAccount

    // What the operator needs is checked against the requests it really sends, recorded from its E2E flow:
    // Tests/E2ETests/OperatorRBACTests.swift. Here: what it must never be able to do, and the people's roles.

    /// Broad or foreign rights the operator must not have.
    static let operatorMustNot: [R] = [
        R(verb: "list", resource: "secrets"),
        R(verb: "list", resource: "secrets", namespace: "team-a"),
        R(verb: "watch", resource: "secrets", namespace: "team-a"),
        R(verb: "create", resource: "secrets", namespace: "team-a"),
        R(verb: "list", resource: "configmaps", namespace: "team-a"),
        R(verb: "create", resource: "configmaps", namespace: "team-a"),
        R(verb: "update", resource: "configmaps", namespace: "team-a", name: "inventory"),
        R(verb: "get", resource: "pods", namespace: "team-a", name: "p"),
        R(verb: "create", resource: "pods", namespace: "vtag-system"),
        R(verb: "list", resource: "namespaces"),
        R(verb: "create", apiGroup: "vtag.dev", resource: "taggingrules", namespace: "team-a"),
        R(verb: "delete", apiGroup: "vtag.dev", resource: "taggingrules", namespace: "team-a", name: "x"),
        R(verb: "update", apiGroup: "vtag.dev", resource: "taggingrules", namespace: "team-a", name: "x"),
        R(verb: "patch", apiGroup: "vtag.dev", resource: "taggingrules", namespace: "team-a", name: "x"),
        R(verb: "create", apiGroup: "vtag.dev", resource: "discoveryjobs", namespace: "team-a"),
        R(verb: "delete", apiGroup: "vtag.dev", resource: "discoveryjobs", namespace: "team-a", name: "x"),
        R(verb: "deletecollection", apiGroup: "vtag.dev", resource: "cloudresources", namespace: "team-a"),
        R(verb: "update", apiGroup: "coordination.k8s.io", resource: "leases", namespace: "team-a", name: "vtag-operator"),
        R(verb: "update", apiGroup: "coordination.k8s.io", resource: "leases", namespace: "vtag-system", name: "someone-elses-lock"),
        R(verb: "create", apiGroup: "apiextensions.k8s.io", resource: "customresourcedefinitions"),
        R(verb: "update", apiGroup: "apiextensions.k8s.io", resource: "customresourcedefinitions", name: "taggingrules.vtag.dev"),
        R(verb: "create", apiGroup: "rbac.authorization.k8s.io", resource: "clusterrolebindings"),
        R(verb: "escalate", apiGroup: "rbac.authorization.k8s.io", resource: "clusterroles", name: "vtag-operator"),
        R(verb: "impersonate", resource: "serviceaccounts", namespace: "team-a", name: "default"),
    ]

    @Test func theOperatorMayDoNothingBroad() throws {
        let policy = try RBACPolicy.load()
        let allowed = Self.operatorMustNot.filter { policy.allows(Self.op, $0) }
        #expect(allowed.isEmpty, "the operator's RBAC allows: \(allowed)")
        for rule in policy.rules(for: Self.op, in: "vtag-system") {
            #expect(!rule.verbs.contains("*") && !rule.resources.contains("*") && !rule.apiGroups.contains("*"), "wildcard in \(rule)")
        }
    }

    @Test func theViewerReadsEverythingAndWritesNothing() throws {
        let policy = try RBACPolicy.load()
        for kind in ["cloudresources", "taggingrules", "tagapprovals", "discoveryjobs"] {
            for verb in ["get", "list", "watch"] {
                #expect(policy.clusterRole("vtag-viewer", allows: R(verb: verb, apiGroup: "vtag.dev", resource: kind, namespace: "team-a", name: verb == "get" ? "x" : nil)))
            }
            for verb in ["create", "update", "patch", "delete"] {
                #expect(!policy.clusterRole("vtag-viewer", allows: R(verb: verb, apiGroup: "vtag.dev", resource: kind, namespace: "team-a", name: "x")))
            }
        }
        #expect(!policy.clusterRole("vtag-viewer", allows: R(verb: "patch", apiGroup: "vtag.dev", resource: "tagapprovals", subresource: "status", namespace: "team-a", name: "x")))
        #expect(policy.clusterRoles(aggregatedBy: "rbac.authorization.k8s.io/aggregate-to-view") == ["vtag-viewer"])
    }

    @Test func theEditorWritesPolicyButCannotDecide() throws {
        let policy = try RBACPolicy.load()
        for kind in ["taggingrules", "discoveryjobs"] {
            #expect(policy.clusterRole("vtag-editor", allows: R(verb: "create", apiGroup: "vtag.dev", resource: kind, namespace: "team-a")))
            for verb in ["update", "patch", "delete"] {
                #expect(policy.clusterRole("vtag-editor", allows: R(verb: verb, apiGroup: "vtag.dev", resource: kind, namespace: "team-a", name: "x")))
            }
            // Status belongs to the operator.
            #expect(!policy.clusterRole("vtag-editor", allows: R(verb: "patch", apiGroup: "vtag.dev", resource: kind, subresource: "status", namespace: "team-a", name: "x")))
        }
        // manualTags: patch, but neither create nor delete CloudResources (discovery owns them).
        #expect(policy.clusterRole("vtag-editor", allows: R(verb: "patch", apiGroup: "vtag.dev", resource: "cloudresources", namespace: "team-a", name: "x")))
        #expect(!policy.clusterRole("vtag-editor", allows: R(verb: "delete", apiGroup: "vtag.dev", resource: "cloudresources", namespace: "team-a", name: "x")))
        #expect(!policy.clusterRole("vtag-editor", allows: R(verb: "create", apiGroup: "vtag.dev", resource: "tagapprovals", namespace: "team-a")))
        #expect(!policy.clusterRole("vtag-editor", allows: R(verb: "patch", apiGroup: "vtag.dev", resource: "tagapprovals", subresource: "status", namespace: "team-a", name: "x")))
        #expect(policy.clusterRoles(aggregatedBy: "rbac.authorization.k8s.io/aggregate-to-edit") == ["vtag-viewer", "vtag-editor"])
    }

    /// Writing tagapprovals/status is exactly the right to decide: the approver has it, and nothing else writes.
    @Test func theApproverMayDecideAndNothingElse() throws {
        let policy = try RBACPolicy.load()
        for verb in ["patch", "update"] {
            #expect(policy.clusterRole("vtag-approver", allows: R(verb: verb, apiGroup: "vtag.dev", resource: "tagapprovals", subresource: "status", namespace: "team-a", name: "x")))
            #expect(!policy.clusterRole("vtag-approver", allows: R(verb: verb, apiGroup: "vtag.dev", resource: "tagapprovals", namespace: "team-a", name: "x")))
            #expect(!policy.clusterRole("vtag-approver", allows: R(verb: verb, apiGroup: "vtag.dev", resource: "cloudresources", subresource: "status", namespace: "team-a", name: "x")))
        }
        #expect(policy.clusterRole("vtag-approver", allows: R(verb: "list", apiGroup: "vtag.dev", resource: "tagapprovals", namespace: "team-a")))
        #expect(!policy.clusterRole("vtag-approver", allows: R(verb: "create", apiGroup: "vtag.dev", resource: "tagapprovals", namespace: "team-a")))
        #expect(!policy.clusterRole("vtag-approver", allows: R(verb: "delete", apiGroup: "vtag.dev", resource: "tagapprovals", namespace: "team-a", name: "x")))
        #expect(!policy.clusterRoles(aggregatedBy: "rbac.authorization.k8s.io/aggregate-to-edit").contains("vtag-approver"))
        #expect(policy.clusterRoles(aggregatedBy: "rbac.authorization.k8s.io/aggregate-to-admin") == ["vtag-viewer", "vtag-editor", "vtag-approver"])
    }

    /// The checker itself: RBAC semantics that the tests above rely on.
    @Test func checkerSemantics() throws {
        let yaml = """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: agg}
            aggregationRule: {clusterRoleSelectors: [{matchLabels: {pick: "yes"}}]}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: named, labels: {pick: "yes"}}
            rules:
              - {apiGroups: [""], resources: [secrets], verbs: [get], resourceNames: [only-this]}
              - {apiGroups: [apps], resources: ["*/scale"], verbs: ["*"]}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: b, namespace: ns1}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: agg}
            subjects: [{kind: User, name: alice}]
            """
        let policy = try RBACPolicy(documents: YAMLJSON.documents(yaml))
        let alice = RBACPolicy.Subject.user("alice")
        #expect(policy.allows(alice, R(verb: "get", resource: "secrets", namespace: "ns1", name: "only-this")))
        #expect(!policy.allows(alice, R(verb: "get", resource: "secrets", namespace: "ns1", name: "other")))
        #expect(!policy.allows(alice, R(verb: "get", resource: "secrets", namespace: "ns2", name: "only-this")))
        #expect(!policy.allows(alice, R(verb: "get", resource: "secrets", name: "only-this")))
        #expect(policy.allows(alice, R(verb: "update", apiGroup: "apps", resource: "deployments", subresource: "scale", namespace: "ns1", name: "d")))
        #expect(!policy.allows(alice, R(verb: "update", apiGroup: "apps", resource: "deployments", namespace: "ns1", name: "d")))
        #expect(!policy.allows(.user("bob"), R(verb: "get", resource: "secrets", namespace: "ns1", name: "only-this")))
    }

    @Test(arguments: [
        ("GET", "/apis/vtag.dev/v1alpha1/cloudresources?watch=true&resourceVersion=5", "watch cloudresources.vtag.dev in <all namespaces>"),
        ("GET", "/apis/vtag.dev/v1alpha1/namespaces/a/cloudresources?limit=500", "list cloudresources.vtag.dev in a"),
        ("GET", "/apis/vtag.dev/v1alpha1/namespaces/a/cloudresources/x", "get cloudresources.vtag.dev x in a"),
        ("PUT", "/apis/vtag.dev/v1alpha1/namespaces/a/tagapprovals/x/status", "update tagapprovals/status.vtag.dev x in a"),
        ("PATCH", "/apis/vtag.dev/v1alpha1/namespaces/a/taggingrules/x/status?fieldManager=vtag", "patch taggingrules/status.vtag.dev x in a"),
        ("POST", "/api/v1/namespaces/a/events", "create events.core in a"),
        ("DELETE", "/apis/vtag.dev/v1alpha1/namespaces/a/cloudresources", "deletecollection cloudresources.vtag.dev in a"),
        ("DELETE", "/apis/vtag.dev/v1alpha1/namespaces/a/cloudresources/x", "delete cloudresources.vtag.dev x in a"),
        ("GET", "/api/v1/namespaces/vtag-system", "get namespaces vtag-system in vtag-system"),
        ("GET", "/api/v1/namespaces", "list namespaces.core in <all namespaces>"),
        ("GET", "/api/v1/watch/namespaces/a/configmaps", "watch configmaps.core in a"),
        ("PUT", "/apis/coordination.k8s.io/v1/namespaces/vtag-system/leases/vtag-operator", "update leases.coordination.k8s.io vtag-operator in vtag-system"),
        ("GET", "/healthz", "get /healthz"),
    ]) func requestsMapToRBACAttributes(method: String, path: String, expected: String) {
        #expect(RBACRequest(method: method, path: path).description == expected.replacingOccurrences(of: "namespaces vtag-system", with: "namespaces.core vtag-system"))
    }
}
