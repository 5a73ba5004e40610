import Foundation
import KubeCore
import KubeTestServer
import Testing

/// RBAC guards itself like kube-apiserver's: writing a Role, or a binding to a role, that grants more than the
/// writer holds is 403 unless the writer has `escalate` (roles) or `bind` (bindings) on it.
@Suite("RBAC escalation")
struct RBACEscalationTests {
    static let rbac = "/apis/rbac.authorization.k8s.io/v1"
    static let roles = "\(rbac)/namespaces/team/roles"
    static let bindings = "\(rbac)/namespaces/team/rolebindings"

    static func rule(_ verbs: [String], _ resources: [String], group: String = "", names: [String] = []) -> JSONValue {
        var r: JSONValue = ["apiGroups": [.string(group)], "resources": .array(resources.map(JSONValue.string)),
                            "verbs": .array(verbs.map(JSONValue.string))]
        if !names.isEmpty { r["resourceNames"] = .array(names.map(JSONValue.string)) }
        return r
    }

    static func role(_ name: String, kind: String = "Role", _ rules: [JSONValue]) -> JSONValue {
        var meta: JSONValue = ["name": .string(name)]
        if kind == "Role" { meta["namespace"] = "team" }
        return ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": .string(kind), "metadata": meta, "rules": .array(rules)]
    }

    static func binding(_ name: String, kind: String = "RoleBinding", role: String, roleKind: String, user: String) -> JSONValue {
        var meta: JSONValue = ["name": .string(name)]
        if kind == "RoleBinding" { meta["namespace"] = "team" }
        return ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": .string(kind), "metadata": meta,
                "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": .string(roleKind), "name": .string(role)],
                "subjects": [["apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": .string(user)]]]
    }

    /// bob may read ConfigMaps in team and write Roles and RoleBindings there; admin is the test client.
    func withBob(_ body: (KubeAPITestServer, RawClient, RawClient) async throws -> Void) async throws {
        let options = KubeAPITestServer.Options(namespaces: ["default", "team"], authorization: .rbac)
        try await withServer(options) { server, admin in
            try server.install(Self.role("bob", [Self.rule(["get", "list"], ["configmaps"]),
                                                 Self.rule(["create", "update"], ["roles", "rolebindings"], group: "rbac.authorization.k8s.io")]))
            try server.install(Self.binding("bob", role: "bob", roleKind: "Role", user: "bob"))
            let bob = RawClient(http: admin.http, base: server.url, token: server.issueToken(for: "bob"))
            try await body(server, admin, bob)
        }
    }

    @Test func aRoleGrantingOnlyWhatTheWriterHoldsIsCreatedAndOneGrantingMoreIsForbidden() async throws {
        try await withBob { _, _, bob in
            #expect(try await bob.post(Self.roles, Self.role("reader", [Self.rule(["get"], ["configmaps"])])).status == 201)
            let more = try await bob.post(Self.roles, Self.role("writer", [Self.rule(["get", "create"], ["configmaps"])]))
            #expect(more.status == 403)
            #expect(more.json["reason"] == "Forbidden")
            let message = more.json["message"]?.stringValue ?? ""
            #expect(message.hasPrefix(#"roles.rbac.authorization.k8s.io "writer" is forbidden: user "bob" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:"#))
            #expect(message.hasSuffix(#"{APIGroups:[""], Resources:["configmaps"], Verbs:["create"]}"#), "only what bob lacks: \(message)")
            // A wildcard is held only by a wildcard.
            #expect(try await bob.post(Self.roles, Self.role("all", [Self.rule(["*"], ["configmaps"])])).status == 403)
            // Nor can an existing Role be widened by an update.
            var widened = Self.role("reader", [Self.rule(["get", "delete"], ["configmaps"])])
            widened["metadata"]?["resourceVersion"] = try await bob.get("\(Self.roles)/reader").json["metadata"]?["resourceVersion"]
            #expect(try await bob.put("\(Self.roles)/reader", widened).status == 403)
        }
    }

    @Test func escalateOnRolesLetsTheWriterGrantMore() async throws {
        try await withBob { server, _, bob in
            try server.install(Self.role("escalator", [Self.rule(["escalate"], ["roles"], group: "rbac.authorization.k8s.io")]))
            try server.install(Self.binding("escalator", role: "escalator", roleKind: "Role", user: "bob"))
            #expect(try await bob.post(Self.roles, Self.role("writer", [Self.rule(["create"], ["configmaps"])])).status == 201)
        }
    }

    @Test func bindingToARoleNeedsItsPermissionsOrBindOnIt() async throws {
        try await withBob { server, admin, bob in
            #expect(try await admin.post("\(Self.rbac)/clusterroles", Self.role("big", kind: "ClusterRole", [Self.rule(["*"], ["*"], group: "*")])).status == 201)
            #expect(try await admin.post(Self.roles, Self.role("reader", [Self.rule(["get"], ["configmaps"])])).status == 201)
            // bob holds everything "reader" grants, so he may hand it on; not "big".
            #expect(try await bob.post(Self.bindings, Self.binding("carol-reads", role: "reader", roleKind: "Role", user: "carol")).status == 201)
            let big = try await bob.post(Self.bindings, Self.binding("carol-big", role: "big", roleKind: "ClusterRole", user: "carol"))
            #expect(big.status == 403)
            #expect(big.json[path: "details", "kind"] == "rolebindings")
            // bind on that ClusterRole, by name, in the namespace of the binding.
            try server.install(Self.role("binder", [Self.rule(["bind"], ["clusterroles"], group: "rbac.authorization.k8s.io", names: ["big"])]))
            try server.install(Self.binding("binder", role: "binder", roleKind: "Role", user: "bob"))
            #expect(try await bob.post(Self.bindings, Self.binding("carol-big", role: "big", roleKind: "ClusterRole", user: "carol")).status == 201)
        }
    }

    @Test func permissionsHeldInANamespaceDoNotCoverAClusterRole() async throws {
        try await withBob { server, _, bob in
            try server.install(Self.role("clusterrole-writer", kind: "ClusterRole", [Self.rule(["create"], ["clusterroles"], group: "rbac.authorization.k8s.io")]))
            try server.install(Self.binding("bob-clusterroles", kind: "ClusterRoleBinding", role: "clusterrole-writer", roleKind: "ClusterRole", user: "bob"))
            let r = try await bob.post("\(Self.rbac)/clusterroles", Self.role("reader", kind: "ClusterRole", [Self.rule(["get"], ["configmaps"])]))
            #expect(r.status == 403, "bob reads ConfigMaps in team only")
        }
    }
}
