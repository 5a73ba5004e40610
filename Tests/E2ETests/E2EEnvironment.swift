// E2E harness: the same test runs against a real cluster or the in-process test server.
//
//   VTAG_E2E_KUBECONFIG=/path/to/kubeconfig swift test --filter E2ETests   # a real cluster
//   swift test --filter E2ETests                                          # in-process KubeAPITestServer
//   VTAG_E2E_HTTP2=1 swift test --filter E2ETests                         # requests over HTTP/2 (--kube-api-http2)
//
// A test asks for the CRDs it needs and gets its own namespace, deleted at the end:
//
//   @Test func something() async throws {
//       try await E2EEnvironment.withNamespace(crds: ["cloudresources.vtag.dev.yaml"]) { env, ns in
//           let api = Api<CloudResource>(client: env.client, namespace: ns)
//           ...
//       }
//   }
//
// Against a real cluster, CRDs are created or replaced through the API (and waited for until
// Established) once per test process; the cluster must allow that (cluster-admin on a kind cluster).
import Foundation
import K8sClient
import KubeCore
import KubeTestServer
import Testing
import VTagTestSupport

final class E2EEnvironment: Sendable {
    let client: KubeClient
    /// The in-process server, or nil against a real cluster.
    let server: KubeAPITestServer?
    /// The kubeconfig that reaches the cluster, for the binaries a test runs as separate processes.
    let kubeconfigPath: String
    /// Whether the test server authorises requests with RBAC (see `identities(in:)`).
    let rbac: Bool
    var isRealCluster: Bool { server == nil }

    private init(client: KubeClient, server: KubeAPITestServer?, kubeconfigPath: String, rbac: Bool = false) {
        self.client = client
        self.server = server
        self.kubeconfigPath = kubeconfigPath
        self.rbac = rbac
    }

    /// The repository's `crds/` directory.
    static let crdDirectory: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Tests/E2ETests/E2EEnvironment.swift -> repo root
        return url.appendingPathComponent("crds").path
    }()

    /// Resolves CRD file names: a bare name is taken from `crds/`.
    static func crdPaths(_ files: [String]) -> [String] {
        files.map { $0.hasPrefix("/") ? $0 : crdDirectory + "/" + $0 }
    }

    /// Starts the environment: the cluster of VTAG_E2E_KUBECONFIG (CRDs installed through the API), or a
    /// fresh test server with the CRDs loaded, enforcing RBAC when `rbac` is set (the environment's own client
    /// stays an administrator).
    static func start(crds: [String] = [], rbac: Bool = false) async throws -> E2EEnvironment {
        let paths = crdPaths(crds)
        if let kubeconfig = ProcessInfo.processInfo.environment["VTAG_E2E_KUBECONFIG"], !kubeconfig.isEmpty {
            let client = try KubeClient(configuration: ClientConfiguration.load(kubeconfigPath: kubeconfig))
            try await CRDInstaller.shared.install(paths, client: client)
            return E2EEnvironment(client: client, server: nil, kubeconfigPath: kubeconfig)
        }
        let server = try await KubeAPITestServer.start(KubeAPITestServer.Options(crdFiles: paths, authorization: rbac ? .rbac : .alwaysAllow))
        do {
            var configuration = try ClientConfiguration.load(kubeconfigPath: server.kubeconfigPath, environment: [:])
            // VTAG_E2E_HTTP2=1: requests over HTTP/2, the tests' and the operators' (`OperatorProcesses.childEnvironment`).
            configuration.http2 = ProcessInfo.processInfo.environment["VTAG_E2E_HTTP2"] == "1"
            let client = try KubeClient(configuration: configuration)
            return E2EEnvironment(client: client, server: server, kubeconfigPath: server.kubeconfigPath, rbac: rbac)
        } catch {
            try? await server.shutdown()
            throw error
        }
    }

    func stop() async {
        try? await server?.shutdown()
    }

    /// Creates a namespace with a unique name ("e2e-PREFIX-xxxxxx"), labelled for cleanup.
    func makeNamespace(_ prefix: String = "t") async throws -> String {
        let name = "e2e-\(prefix.prefix(40))-\(UUID().uuidString.prefix(6).lowercased())"
        _ = try await Api<Namespace>.all(client).create(Namespace(name: name, labels: ["vtag.dev/e2e": "true"]))
        return name
    }

    /// Who runs the operator and who decides approvals in `namespace`. On a test server enforcing RBAC: the
    /// operator's ServiceAccount with manifests/ installed as if the operator were deployed in `namespace`,
    /// and alice bound to vtag-approver there (call once per namespace). Otherwise (no RBAC, or a real
    /// cluster) the environment's own credentials, for both.
    func identities(in namespace: String) throws -> E2EIdentities {
        guard let server, rbac else {
            return E2EIdentities(operatorClient: client, operatorKubeconfigPath: kubeconfigPath,
                                 approverClient: client, approverKubeconfigPath: kubeconfigPath)
        }
        let installed = try OperatorRBAC.install(into: server, namespace: namespace, approverNamespace: namespace)
        return E2EIdentities(operatorClient: installed.operatorClient, operatorKubeconfigPath: installed.operatorKubeconfigPath,
                             approverClient: installed.approverClient, approverKubeconfigPath: installed.approverKubeconfigPath)
    }

    /// Deletes a namespace (the cluster removes its contents in the background).
    func deleteNamespace(_ name: String) async {
        _ = try? await Api<Namespace>.all(client).delete(name, DeleteParams(propagationPolicy: .background))
    }

    /// Runs `body` with its own namespace; tears everything down whatever happens.
    static func withNamespace<R>(
        crds: [String] = [], prefix: String = "t", rbac: Bool = false, _ body: (E2EEnvironment, String) async throws -> R
    ) async throws -> R {
        let env = try await start(crds: crds, rbac: rbac)
        let ns: String
        do { ns = try await env.makeNamespace(prefix) } catch {
            await env.stop()
            throw error
        }
        do {
            let result = try await body(env, ns)
            await env.deleteNamespace(ns)
            await env.stop()
            return result
        } catch {
            await env.deleteNamespace(ns)
            await env.stop()
            throw error
        }
    }

    /// Waits (bounded) until `condition` holds; false on timeout.
    func eventually(timeout: Duration = .seconds(90), _ condition: () async throws -> Bool) async throws -> Bool {
        try await waitUntil(timeout: timeout, poll: .milliseconds(100), condition)
    }
}

/// Installs CRD files into a real cluster once per process: create, or replace what is there, then
/// wait until each is Established.
actor CRDInstaller {
    static let shared = CRDInstaller()
    private var installed: [String: Task<Void, Error>] = [:]

    static let crdResource = ResourceDescriptor(
        group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition", plural: "customresourcedefinitions", namespaced: false)

    func install(_ paths: [String], client: KubeClient) async throws {
        for path in paths {
            let task: Task<Void, Error>
            if let existing = installed[path] {
                task = existing
            } else {
                task = Task { try await Self.installFile(path, client: client) }
                installed[path] = task
            }
            try await task.value
        }
    }

    static func installFile(_ path: String, client: KubeClient) async throws {
        let api = DynamicApi(client: client, resource: crdResource, namespace: nil)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for var crd in try YAMLDocuments.parse(text) where crd["kind"]?.stringValue == "CustomResourceDefinition" {
            guard let name = crd[path: "metadata", "name"]?.stringValue else { continue }
            if let current = try await api.getOptional(name) {
                crd["metadata"]?["resourceVersion"] = current[path: "metadata", "resourceVersion"]
                _ = try await api.replace(crd)
            } else {
                _ = try await api.create(crd)
            }
            let deadline = ContinuousClock.now + .seconds(60)
            while true {
                let current = try await api.get(name)
                let conditions = current[path: "status", "conditions"]?.arrayValue ?? []
                if conditions.contains(where: { $0["type"] == .string("Established") && $0["status"] == .string("True") }) { break }
                guard ContinuousClock.now < deadline else { throw E2EError("CRD \(name) from \(path) not Established after 60 s") }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }
}

/// The operator's and a deciding person's credentials in one test (see `E2EEnvironment.identities(in:)`).
struct E2EIdentities: Sendable {
    let operatorClient: KubeClient
    let operatorKubeconfigPath: String
    let approverClient: KubeClient
    let approverKubeconfigPath: String
}

struct E2EError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
