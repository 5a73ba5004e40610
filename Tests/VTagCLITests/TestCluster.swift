import Foundation
import K8sClient
import KubeCore
import KubeTestServer
import TaggingAPI
import Testing
import VTagTestSupport
@testable import VTagCLI

/// An in-process API server with vtag's CRDs for one test, a client to arrange and check its objects,
/// and the CLI pointed at it through a real kubeconfig.
struct TestCluster {
    let server: KubeAPITestServer
    let client: KubeClient
    let namespace = "default"

    static func crdFiles() -> [String] {
        ((try? RepoFiles.yamlFiles(in: "crds")) ?? []).map(\.path)
    }

    static func with(_ body: (TestCluster) async throws -> Void) async throws {
        let server = try await KubeAPITestServer.start(.init(crdFiles: crdFiles()))
        do {
            let client = try KubeClient.load(kubeconfigPath: server.kubeconfigPath)
            try await body(TestCluster(server: server, client: client))
        } catch {
            try? await server.shutdown()
            throw error
        }
        try await server.shutdown()
    }

    /// Runs `kubectl-vtag args... --kubeconfig <the server's>`.
    func cli(_ args: [String]) async -> (out: String, err: String, error: (any Error)?) {
        await runCLI(args + ["--kubeconfig", server.kubeconfigPath])
    }

    func api<T: KubernetesObject>(_ type: T.Type) -> Api<T> { Api<T>(client: client, namespace: namespace) }

    /// An informer over every namespace, for running the operator's reconcilers next to the CLI.
    func informer<T: KubernetesObject>(_ type: T.Type) -> Informer<T> { Informer(api: Api<T>.all(client)) }

    // MARK: Fixtures

    @discardableResult
    func resource(_ id: String, name: String? = nil, type: String = "ec2:instance", native: [String: String] = [:],
                  status: CloudResourceStatus? = nil) async throws -> CloudResource {
        let spec = CloudResourceSpec(provider: "aws", id: id, type: type, name: name ?? id, account: "123456789012",
                                     region: "eu-west-1", nativeTags: native.isEmpty ? nil : native)
        let objectName = ResourceNaming.name(provider: "aws", id: id)
        var created = try await api(CloudResource.self).create(CloudResource(
            metadata: ObjectMeta(name: objectName, namespace: namespace, labels: CloudResource.mirrorLabels(for: spec)), spec: spec))
        if let status {
            created.status = status
            created = try await api(CloudResource.self).replaceStatus(created)
        }
        return created
    }

    @discardableResult
    func approval(_ name: String, key: String = "team", value: String = "payments", source: TagSource = .model,
                  resources: [String], labels: [String: String] = [:], status: TagApprovalStatus? = nil) async throws -> TagApproval {
        var created = try await api(TagApproval.self).create(TagApproval(
            metadata: ObjectMeta(name: name, namespace: namespace, labels: labels),
            spec: TagApprovalSpec(key: key, value: value, source: source, rule: source == .rule ? "some-rule" : nil,
                                  resources: resources.map { ApprovalResource(name: $0, confidence: 0.8, reason: "test") })))
        if let status {
            created.status = status
            created = try await api(TagApproval.self).replaceStatus(created)
        }
        return created
    }

    /// Every request the CLI (by its User-Agent) sent since `clearRequests`, as RBAC sees them, except the
    /// SelfSubjectReview every authenticated user may create.
    func rbacRequests() -> [RBACRequest] {
        server.requests()
            .filter { ($0.headers["user-agent"] ?? "").hasPrefix("kubectl-vtag") && !$0.path.contains("selfsubjectreviews") }
            .map { RBACRequest(method: $0.method, path: $0.path) }
    }
}
