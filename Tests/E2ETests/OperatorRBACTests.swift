// The operator's RBAC in manifests/ is enough and no more, checked against what the operator really sends:
// VTagManager runs the whole flow (simulated, inventory and AWS discovery, rules, approvals decided by a
// person bound to vtag-approver, the model stored, leader election) against the test server as the
// operator's ServiceAccount, through the server's RBAC authoriser loaded with manifests/; no request may be
// refused, and every right they grant must have been used (or be listed below with the reason it was not).
// Without one verb of manifests/ the same flow fails against the server.
//
// Test server only: it needs the server's request log (a real cluster's audit log is not at hand).
import Foundation
import K8sClient
import KubeCore
import KubeTestServer
import Reconcilers
import TaggingAPI
import Testing
import VTagTestSupport

@Suite("Operator RBAC against recorded requests")
struct OperatorRBACTests {
    static let operatorUser = OperatorRBAC.operatorUser("vtag-system")

    /// Rights for paths this flow need not take (a later run, a conflict, a shrinking model), each with why
    /// it is granted; the flow may or may not happen to use them.
    static let grantedForOtherPaths: [String: String] = [
        "get cloudresources.vtag.dev": "discovery and the approval reconciler re-read a resource after a conflict",
        "patch cloudresources.vtag.dev": "a later run merge-patches a resource whose cloud facts changed",
        "delete cloudresources.vtag.dev": "a vanished resource is deleted only after its job's vanishedTTL",
        "delete tagapprovals.vtag.dev": "an emptied pending approval is deleted when every suggestion in it changed",
        "update discoveryjobs/finalizers.vtag.dev":
            "owner references with blockOwnerDeletion need it on clusters with OwnerReferencesPermissionEnforcement",
        "patch events.core": "a repeat of the same event is folded into a patch of the first",
        "delete configmaps.core": "a model chunk is deleted only when a smaller model needs fewer chunks",
        "update configmaps.core": "a retrained model replaces the stored one (a fresh install's first model is trained once the estate settles)",
        "get tagapprovals.vtag.dev": "the approval batcher re-reads a chunk after a conflict (another writer, a restart)",
        "update tagapprovals.vtag.dev":
            "the approval batcher appends to an approval an earlier round wrote (a round waits for filings to pause, so a short scenario may create each whole)",
    ]

    /// A server enforcing RBAC from manifests/ (each object passed through `edit`), the operator in
    /// vtag-system, alice bound to vtag-approver cluster-wide; clients for the admin, the operator's
    /// ServiceAccount and alice.
    struct Cluster {
        var server: KubeAPITestServer
        var admin: KubeClient
        var operatorClient: KubeClient
        var approver: KubeClient
    }

    static func cluster(edit: (JSONValue) -> JSONValue? = { $0 }) async throws -> Cluster {
        let server = try await KubeAPITestServer.start(.init(
            crdFiles: E2EEnvironment.crdPaths(OperatorE2E.crds),
            namespaces: ["default", "kube-system", "kube-public", "vtag-system", "team-a"],
            authorization: .rbac))
        do {
            let rbac = try OperatorRBAC.install(into: server, namespace: "vtag-system", approverNamespace: nil, edit: edit)
            let admin = try KubeClient(configuration: ClientConfiguration.load(kubeconfigPath: server.kubeconfigPath, environment: [:]))
            return Cluster(server: server, admin: admin, operatorClient: rbac.operatorClient, approver: rbac.approverClient)
        } catch {
            try? await server.shutdown()
            throw error
        }
    }

    @Test func everyRequestOfTheOperatorIsGrantedAndEveryGrantIsUsed() async throws {
        let cluster = try await Self.cluster()
        let server = cluster.server, admin = cluster.admin, operatorClient = cluster.operatorClient
        defer { Task { try? await server.shutdown() } }

        // What a person sets up: a rule that suggests, a simulated, an inventory and an AWS job (its endpoint
        // refuses connections: the credentials Secret is still read by name, and the run reports its failure).
        let ns = "team-a"
        _ = try await Api<TaggingRule>(client: admin, namespace: ns).create(OperatorE2E.applicationSuggestion(namespace: ns))
        _ = try await Api<ConfigMap>(client: admin, namespace: ns).create(ConfigMap(
            metadata: ObjectMeta(name: "inventory", namespace: ns),
            data: ["inventory.csv": "provider,id,type,name,account,region,tag:team\naws,i-inv-1,ec2:instance,pay-api-01,111122223333,eu-west-1,payments\n"]))
        _ = try await Api<Secret>(client: admin, namespace: ns).create(Secret(
            metadata: ObjectMeta(name: "aws-credentials", namespace: ns),
            stringData: ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"]))
        let jobs = Api<DiscoveryJob>(client: admin, namespace: ns)
        _ = try await jobs.create(DiscoveryJob(
            metadata: ObjectMeta(name: "estate"), spec: DiscoveryJobSpec(provider: .simulated, simulated: .init(count: 200, seed: 5))))
        _ = try await jobs.create(DiscoveryJob(
            metadata: ObjectMeta(name: "from-inventory"),
            spec: DiscoveryJobSpec(provider: .inventory, inventory: InventoryDiscoverySettings(
                configMapRef: ConfigMapKeyRef(name: "inventory", key: "inventory.csv")))))
        _ = try await jobs.create(DiscoveryJob(
            metadata: ObjectMeta(name: "aws"),
            spec: DiscoveryJobSpec(provider: .aws, aws: AWSDiscoverySettings(
                regions: ["eu-west-1"], services: ["s3"], credentialsSecretRef: AWSCredentialsSecretRef(name: "aws-credentials"),
                endpointURL: "http://127.0.0.1:9"))))

        // The operator as deployed: every namespace, the Lease and the model where manifests/ put them.
        var settings = OperatorE2E.settings(namespace: ns, identity: "rbac")
        settings.namespaces = []
        settings.tagging.modelNamespace = "vtag-system"
        settings.tagging.modelConfigMap = "vtag-model"
        settings.leaderElection = .init(
            leaseNamespace: "vtag-system", leaseName: "vtag-operator-leader", leaseDuration: .seconds(6),
            renewDeadline: .seconds(4), retryPeriod: .milliseconds(500))
        settings.modelRetrainInterval = .seconds(2)

        let approvals = Api<TagApproval>(client: admin, namespace: ns)
        try await RunningManager.with(client: operatorClient, settings: settings) { _ in
            #expect(try await eventually {
                let all = try await Api<CloudResource>(client: admin, namespace: ns).listAll().items
                return all.count == 201 && all.allSatisfy { $0.status?.evaluatedAt != nil }
            }, "every resource discovered and evaluated")
            var pending: [TagApproval] = []
            #expect(try await eventually {
                pending = try await approvals.listAll().items.filter { $0.status?.phase == .pending }
                return pending.count >= 2
            }, "suggestions became pending approvals")
            // A person with vtag-approver rights (and only those) decides.
            let asApprover = Api<TagApproval>(client: cluster.approver, namespace: ns)
            if pending.count >= 2 {
                _ = try await asApprover.patchStatus(pending[0].name, .merge(["status": ["decision": "Approved"]]))
                _ = try await asApprover.patchStatus(pending[1].name, .merge(["status": ["decision": "Denied", "reason": "no"]]))
                #expect(try await eventually {
                    let phases = try await [approvals.get(pending[0].name), approvals.get(pending[1].name)].map(\.status?.phase)
                    return phases == [.applied, .denied]
                }, "the decisions were carried out")
            }
            #expect(try await eventually {
                try await Api<ConfigMap>(client: admin, namespace: "vtag-system").getOptional("vtag-model") != nil
            }, "the model was stored")
            #expect(try await eventually {
                try await jobs.get("aws").status?.lastRun?.finishedAt != nil
            }, "the AWS run finished (failed) and reported it")
        }

        let sent = server.requests().filter { $0.user == Self.operatorUser && !$0.resource.isEmpty }
        #expect(sent.count > 100, "the operator's requests were recorded (\(sent.count))")
        let denied = Set(sent.filter { $0.responseStatus == 403 }.map { "\($0.verb) \($0.resource)\($0.subresource.map { "/\($0)" } ?? "") in \($0.namespace ?? "<all namespaces>")" })
        #expect(denied.isEmpty, "the server's RBAC refused the operator: \(denied.sorted())")
        let policy = try RBACPolicy.load()
        let requests = sent.map {
            RBACRequest(verb: $0.verb, apiGroup: $0.apiGroup, resource: $0.resource, subresource: $0.subresource,
                        namespace: $0.namespace, name: $0.name)
        }
        func right(_ verb: String, _ resource: String, _ subresource: String?, _ group: String) -> String {
            "\(verb) \(resource)\(subresource.map { "/\($0)" } ?? "").\(group.isEmpty ? "core" : group)"
        }
        // One line per refused right and namespace (not per object).
        let refused = Set(requests.filter { !policy.allows(.operatorServiceAccount, $0) }.map {
            "\(right($0.verb, $0.resource, $0.subresource, $0.apiGroup)) in \($0.namespace ?? "<all namespaces>")"
        })
        #expect(refused.isEmpty, "manifests/ refuse requests the operator sends: \(refused.sorted())")

        // No more: every granted (verb, resource) was used, or is listed with its reason.
        let used = Set(requests.map { right($0.verb, $0.resource, $0.subresource, $0.apiGroup) })
        var unused: [String] = []
        var granted = Set<String>()
        for namespace in [nil, "vtag-system"] as [String?] {
            for rule in policy.rules(for: .operatorServiceAccount, in: namespace) {
                for group in rule.apiGroups {
                    for resource in rule.resources {
                        let parts = resource.split(separator: "/", maxSplits: 1).map(String.init)
                        for verb in rule.verbs {
                            let r = right(verb, parts[0], parts.dropFirst().first, group)
                            granted.insert(r)
                            if !used.contains(r) && Self.grantedForOtherPaths[r] == nil { unused.append(r) }
                        }
                    }
                }
            }
        }
        #expect(unused.isEmpty, "granted but never used (remove them, or say why they are needed): \(Set(unused).sorted())")
        #expect(Set(Self.grantedForOtherPaths.keys).isSubset(of: granted),
                "listed but not granted any more: \(Set(Self.grantedForOtherPaths.keys).subtracting(granted).sorted())")
    }

    /// manifests/ without `create` on tagapprovals: the operator's suggestions never become approvals.
    @Test func withoutOneVerbTheOperatorsFlowFails() async throws {
        let cluster = try await Self.cluster { doc in
            guard doc["kind"] == "ClusterRole", doc[path: "metadata", "name"] == "vtag-operator" else { return doc }
            var o = doc
            o["rules"] = .array((doc["rules"]?.arrayValue ?? []).map { rule in
                guard rule["resources"] == ["tagapprovals"] else { return rule }
                var r = rule
                r["verbs"] = .array((rule["verbs"]?.arrayValue ?? []).filter { $0 != "create" })
                return r
            })
            return o
        }
        let server = cluster.server, admin = cluster.admin
        defer { Task { try? await server.shutdown() } }
        let ns = "team-a"
        _ = try await Api<TaggingRule>(client: admin, namespace: ns).create(OperatorE2E.applicationSuggestion(namespace: ns))
        _ = try await Api<DiscoveryJob>(client: admin, namespace: ns).create(DiscoveryJob(
            metadata: ObjectMeta(name: "estate"), spec: DiscoveryJobSpec(provider: .simulated, simulated: .init(count: 50, seed: 5))))
        var settings = OperatorE2E.settings(namespace: ns, identity: "rbac-missing-verb")
        settings.namespaces = []
        settings.leaderElection = .init(
            leaseNamespace: "vtag-system", leaseName: "vtag-operator-leader", leaseDuration: .seconds(6),
            renewDeadline: .seconds(4), retryPeriod: .milliseconds(500))
        try await RunningManager.with(client: cluster.operatorClient, settings: settings) { (_) async throws -> Void in
            #expect(try await eventually(timeout: .seconds(60)) {
                server.requests().contains {
                    $0.user == Self.operatorUser && $0.verb == "create" && $0.resource == "tagapprovals" && $0.responseStatus == 403
                }
            }, "the operator tried to create a TagApproval and the server refused it")
        }
        #expect(try await Api<TagApproval>(client: admin, namespace: ns).listAll().items.isEmpty)
    }

    func eventually(timeout: Duration = OperatorE2E.settleBound, _ condition: () async throws -> Bool) async throws -> Bool {
        try await waitUntil(timeout: timeout, poll: .milliseconds(200), condition)
    }
}
