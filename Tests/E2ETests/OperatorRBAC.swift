// manifests/ RBAC in a test server that enforces it, installed as `kubectl apply -k manifests/` would with
// the kustomization's `namespace:` set to the operator's namespace (namespaced objects, and the
// ServiceAccount subjects of the bindings, move there); a person bound to vtag-approver; kubeconfigs for
// the operator's ServiceAccount and that person, with tokens the server issued.
import Foundation
import K8sClient
import KubeCore
import KubeTestServer
import VTagTestSupport

struct OperatorRBAC: Sendable {
    static let approverUser = "alice"

    /// The operator's ServiceAccount user in `namespace`.
    static func operatorUser(_ namespace: String) -> String { "system:serviceaccount:\(namespace):vtag-operator" }

    let operatorUser: String
    let operatorKubeconfigPath: String
    let approverKubeconfigPath: String
    let operatorClient: KubeClient
    let approverClient: KubeClient

    /// Installs serviceaccount.yaml, rbac-operator.yaml and rbac-people.yaml (each object through `edit`,
    /// e.g. to take a verb away) with the operator in `namespace`; binds alice to vtag-approver in
    /// `approverNamespace` (a RoleBinding), or cluster-wide when it is nil.
    static func install(into server: KubeAPITestServer, namespace: String, approverNamespace: String?,
                        edit: (JSONValue) -> JSONValue? = { $0 }) throws -> OperatorRBAC {
        for file in ["serviceaccount.yaml", "rbac-operator.yaml", "rbac-people.yaml"] {
            try server.install(manifestAt: RepoFiles.url("manifests/\(file)").path) { doc in
                edit(inNamespace(doc, namespace))
            }
        }
        var binding: JSONValue = [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": ["name": "alice-approves"],
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "vtag-approver"],
            "subjects": [["apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": .string(approverUser)]],
        ]
        if let approverNamespace {
            binding["kind"] = "RoleBinding"
            binding["metadata"]?["namespace"] = .string(approverNamespace)
        }
        try server.install(binding)

        func kubeconfig(_ user: String) throws -> String {
            let path = (server.directory as NSString).appendingPathComponent("kubeconfig-\(user.replacingOccurrences(of: ":", with: "-"))")
            try server.writeKubeconfig(to: path, user: .token(server.issueToken(for: user)), namespace: namespace)
            return path
        }
        func client(_ path: String) throws -> KubeClient {
            try KubeClient(configuration: ClientConfiguration.load(kubeconfigPath: path, environment: [:]))
        }
        let operatorUser = Self.operatorUser(namespace)
        let operatorPath = try kubeconfig(operatorUser)
        let approverPath = try kubeconfig(approverUser)
        return OperatorRBAC(operatorUser: operatorUser, operatorKubeconfigPath: operatorPath, approverKubeconfigPath: approverPath,
                            operatorClient: try client(operatorPath), approverClient: try client(approverPath))
    }

    /// What kustomize's namespace transformer does to one object of manifests/.
    static func inNamespace(_ doc: JSONValue, _ namespace: String) -> JSONValue {
        var o = doc
        if ["ServiceAccount", "Role", "RoleBinding"].contains(o["kind"]?.stringValue ?? "") {
            o["metadata"]?["namespace"] = .string(namespace)
        }
        if let subjects = o["subjects"]?.arrayValue {
            o["subjects"] = .array(subjects.map { subject in
                guard subject["kind"] == "ServiceAccount" else { return subject }
                var s = subject
                s["namespace"] = .string(namespace)
                return s
            })
        }
        return o
    }
}
