import KubeCore
import VTagTestSupport
import Foundation
import Testing
import TaggingAPI

/// manifests/: the install a cluster admin applies. Checked file by file (no kubectl needed), and rendered with
/// `kubectl kustomize` where kubectl is installed.
@Suite struct ManifestTests {
    static func objects() throws -> [JSONValue] {
        let kustomization = try #require(try RepoFiles.documents(RepoFiles.url("manifests/kustomization.yaml")).first)
        var out: [JSONValue] = []
        for resource in kustomization["resources"]?.arrayValue?.compactMap(\.stringValue) ?? [] where resource.hasSuffix(".yaml") {
            out += try RepoFiles.documents(RepoFiles.url("manifests/\(resource)"))
        }
        return out
    }

    static func object(_ kind: String, _ name: String) throws -> JSONValue {
        try #require(try objects().first { $0["kind"]?.stringValue == kind && $0[path: "metadata", "name"]?.stringValue == name },
                     "manifests/ has no \(kind) \(name)")
    }

    @Test func theKustomizationListsExistingFilesAndTheCRDs() throws {
        let kustomization = try #require(try RepoFiles.documents(RepoFiles.url("manifests/kustomization.yaml")).first)
        #expect(kustomization["namespace"]?.stringValue == "vtag-system")
        let resources = kustomization["resources"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(resources.contains("../crds"))
        for r in resources {
            #expect(FileManager.default.fileExists(atPath: RepoFiles.url("manifests/\(r)").path), "\(r) does not exist")
        }
        // crds/kustomization.yaml lists every CRD file.
        let crdKustomization = try #require(try RepoFiles.documents(RepoFiles.url("crds/kustomization.yaml")).first)
        let listed = Set(crdKustomization["resources"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        #expect(listed == Set(try CRDCatalog.load().values.map(\.file)))
    }

    @Test func theDeploymentIsLockedDown() throws {
        let deployment = try Self.object("Deployment", "vtag-operator")
        let pod = try #require(deployment[path: "spec", "template", "spec"])
        #expect(pod["serviceAccountName"]?.stringValue == "vtag-operator")
        #expect(pod[path: "securityContext", "runAsNonRoot"]?.boolValue == true)
        #expect(pod[path: "securityContext", "runAsUser"]?.intValue == 65532)
        #expect(pod[path: "securityContext", "seccompProfile", "type"]?.stringValue == "RuntimeDefault")
        let container = try #require(pod["containers"]?.arrayValue?.first)
        let sc = try #require(container["securityContext"])
        #expect(sc["allowPrivilegeEscalation"]?.boolValue == false)
        #expect(sc["readOnlyRootFilesystem"]?.boolValue == true)
        #expect(sc[path: "capabilities", "drop"]?.arrayValue == [.string("ALL")])
        #expect(container["args"]?.arrayValue?.contains(.string("--leader-elect")) == true)
        for key in ["requests", "limits"] {
            #expect(container[path: "resources", key, "cpu"] != nil && container[path: "resources", key, "memory"] != nil, "\(key)")
        }
        let ports = Dictionary(uniqueKeysWithValues: (container["ports"]?.arrayValue ?? []).map {
            ($0["name"]?.stringValue ?? "", $0["containerPort"]?.intValue ?? 0)
        })
        #expect(ports == ["metrics": 8080, "health": 8081])
        #expect(container[path: "livenessProbe", "httpGet", "path"]?.stringValue == "/healthz")
        #expect(container[path: "readinessProbe", "httpGet", "path"]?.stringValue == "/readyz")
        #expect(container[path: "livenessProbe", "httpGet", "port"]?.stringValue == "health")
        #expect(container[path: "readinessProbe", "httpGet", "port"]?.stringValue == "health")
    }

    /// The Pod gets SIGKILL after terminationGracePeriodSeconds: it must outlast the operator's shutdown deadline.
    @Test func theGracePeriodOutlastsTheShutdownDeadline() throws {
        let grace = try #require(try Self.object("Deployment", "vtag-operator")[path: "spec", "template", "spec", "terminationGracePeriodSeconds"]?.intValue)
        let config = try Self.object("ConfigMap", "vtag-operator-config")
        let deadline = try #require(config[path: "data", "VTAG_SHUTDOWN_DEADLINE"]?.stringValue.flatMap { try? GoDuration.parse($0) })
        #expect(Double(grace) >= deadline + 10, "grace \(grace)s vs shutdown deadline \(deadline)s")
    }

    @Test func theConfigIsSane() throws {
        let data = try #require(try Self.object("ConfigMap", "vtag-operator-config")["data"]?.objectValue)
        let auto = try #require(data["AUTO_APPLY_THRESHOLD"]?.stringValue.flatMap(Double.init))
        let suggest = try #require(data["MANUAL_REVIEW_THRESHOLD"]?.stringValue.flatMap(Double.init))
        #expect(auto == 0.90 && suggest == 0.70)
        #expect(0 <= suggest && suggest <= auto && auto <= 1)
        let keys = data["REQUIRED_KEYS"]?.stringValue?.split(separator: ",").map(String.init)
        #expect(keys == VTag.defaultRequiredKeys)
        #expect((try? GoDuration.parse(data["VTAG_APPROVAL_TTL"]?.stringValue ?? "")) != nil)
        #expect((try? GoDuration.parse(data["VTAG_REEVALUATE_INTERVAL"]?.stringValue ?? "")) != nil)
        #expect((try? GoDuration.parse(data["VTAG_FIRST_MODEL_WAIT"]?.stringValue ?? "")) != nil)
        for value in data.values { #expect(value.stringValue != nil, "ConfigMap data must be strings") }
    }

    /// Every key of the ConfigMap is an environment variable the operator reads (a misspelt key would be ignored
    /// silently). Read from the operator's sources, since its executable target cannot be imported by tests.
    @Test func theConfigKeysAreEnvironmentVariablesTheOperatorReads() throws {
        let data = try #require(try Self.object("ConfigMap", "vtag-operator-config")["data"]?.objectValue)
        let dir = RepoFiles.url("Sources/Operator")
        let sources = try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "swift" }
            .map { try String(contentsOf: $0, encoding: .utf8) }
            .joined()
        for key in data.keys.sorted() { #expect(sources.contains("\"\(key)\""), "the operator never reads \(key)") }
        let deployment = try Self.object("Deployment", "vtag-operator")
        let env = deployment[path: "spec", "template", "spec", "containers"]?.arrayValue?.first?["env"]?.arrayValue ?? []
        for name in env.compactMap({ $0["name"]?.stringValue }) { #expect(sources.contains("\"\(name)\""), "the operator never reads \(name)") }
    }

    @Test func theMetricsServiceSelectsTheOperator() throws {
        let service = try Self.object("Service", "vtag-operator-metrics")
        let deployment = try Self.object("Deployment", "vtag-operator")
        let podLabels = deployment[path: "spec", "template", "metadata", "labels"]?.objectValue ?? [:]
        for (k, v) in service[path: "spec", "selector"]?.objectValue ?? [:] { #expect(podLabels[k] == v, "\(k)") }
        #expect(service[path: "spec", "ports"]?.arrayValue?.first?["targetPort"]?.stringValue == "metrics")
    }

    /// The namespace's Pod Security level admits the Deployment only if the container is locked down as above.
    @Test func theNamespaceEnforcesRestrictedPodSecurity() throws {
        let ns = try Self.object("Namespace", "vtag-system")
        #expect(ns[path: "metadata", "labels", "pod-security.kubernetes.io/enforce"]?.stringValue == "restricted")
    }

    @Test(.enabled(if: Kubectl.path != nil, "kubectl is not installed")) func kubectlKustomizeRendersEverything() throws {
        let rendered = try YAMLJSON.documents(Kubectl.kustomize("manifests"))
        var kinds: [String: Int] = [:]
        for o in rendered { kinds[o["kind"]?.stringValue ?? "?", default: 0] += 1 }
        #expect(kinds == [
            "CustomResourceDefinition": 4, "Namespace": 1, "ServiceAccount": 1, "ClusterRole": 4, "ClusterRoleBinding": 1,
            "Role": 1, "RoleBinding": 1, "ConfigMap": 1, "Deployment": 1, "Service": 1,
        ])
        let namespaced = ["ServiceAccount", "Role", "RoleBinding", "ConfigMap", "Deployment", "Service"]
        for o in rendered where namespaced.contains(o["kind"]?.stringValue ?? "") {
            #expect(o[path: "metadata", "namespace"]?.stringValue == "vtag-system")
        }
        // The rendered RBAC is the RBAC the policy tests read from the files.
        let fromRender = try RBACPolicy(documents: rendered)
        let fromFiles = try RBACPolicy.load()
        #expect(fromRender.clusterRoles == fromFiles.clusterRoles)
        #expect(fromRender.roles == fromFiles.roles)
        let image = rendered.first { $0["kind"]?.stringValue == "Deployment" }?[path: "spec", "template", "spec", "containers"]?.arrayValue?.first?["image"]?.stringValue
        #expect(image?.hasPrefix("ghcr.io/vtag-dev/vtag-operator:") == true)
    }
}
