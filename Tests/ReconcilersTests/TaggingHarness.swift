import Foundation
import Inference
import K8sClient
import KubeCore
import KubeTestServer
import TaggingAPI
import Testing

@testable import Reconcilers

/// A test API server with the CRDs, informers for the tagging kinds, and a tagger over their caches.
/// Tests call `reconcile` themselves, so what each step writes can be checked exactly.
struct TaggingHarness {
    let server: KubeAPITestServer
    let client: KubeClient
    let resources: Informer<CloudResource>
    let rules: Informer<TaggingRule>
    let approvals: Informer<TagApproval>
    let tagger: CloudResourceTagger
    let model: ModelHolder
    let settings: TaggingSettings
    let events: EventRecorder
    let namespace = "default"

    var resourceApi: Api<CloudResource> { Api(client: client, namespace: namespace) }
    var ruleApi: Api<TaggingRule> { Api(client: client, namespace: namespace) }
    var approvalApi: Api<TagApproval> { Api(client: client, namespace: namespace) }

    /// Runs `body` with informers and the event recorder running; stops them and the server afterwards.
    static func run(
        settings: TaggingSettings = TaggingSettings(), model: TagModel? = nil, _ body: (TaggingHarness) async throws -> Void
    ) async throws {
        let server = try await KubeAPITestServer.start(.init(crdFiles: crdFiles()))
        let client = try KubeClient.load(kubeconfigPath: server.kubeconfigPath)
        // The operator's own cache of CloudResources (transformed and packed): the tagger writes whole statuses from it.
        let resources = Informer(
            api: Api<CloudResource>.all(client),
            store: Store(transform: CloudResourceCacheTransform.beforePacking(), packing: CloudResourcePacking.make()))
        let rules = Informer(api: Api<TaggingRule>.all(client))
        let approvals = Informer(api: Api<TagApproval>.all(client))
        let holder = ModelHolder(model)
        let events = EventRecorder(client: client, .init(component: "vtag-test"))
        let tagger = CloudResourceTagger(
            client: client, resources: resources.store, rules: rules.store, approvals: approvals.store, model: holder,
            settings: settings, events: events)
        let harness = TaggingHarness(
            server: server, client: client, resources: resources, rules: rules, approvals: approvals, tagger: tagger,
            model: holder, settings: settings, events: events)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await resources.run() }
                group.addTask { try await rules.run() }
                group.addTask { try await approvals.run() }
                group.addTask { try await events.run() }
                defer { group.cancelAll() }
                try await eventually("caches synced", timeout: .seconds(60)) {
                    resources.hasSynced && rules.hasSynced && approvals.hasSynced
                }
                try await body(harness)
            }
        } catch {
            try? await server.shutdown()
            throw error
        }
        try await server.shutdown()
    }

    /// Creates a resource (and a status, if given) and puts the server's answer in the cache.
    @discardableResult
    func create(_ spec: CloudResourceSpec, status: CloudResourceStatus? = nil) async throws -> CloudResource {
        let name = ResourceNaming.name(provider: spec.provider, id: spec.id)
        var object = CloudResource(
            metadata: ObjectMeta(name: name, namespace: namespace, labels: CloudResource.mirrorLabels(for: spec)), spec: spec)
        let writer = CacheAwareApi(resourceApi, cache: resources.store)
        object = try await writer.create(object)
        if let status {
            object.status = status
            object = try await writer.replaceStatus(object)
        }
        return object
    }

    @discardableResult
    func create(rule name: String, _ spec: TaggingRuleSpec) async throws -> TaggingRule {
        try await CacheAwareApi(ruleApi, cache: rules.store).create(TaggingRule(metadata: ObjectMeta(name: name, namespace: namespace), spec: spec))
    }

    func key(_ object: some KubernetesObject) -> ObjectKey { ObjectKey(object) }

    /// Reconciles every key, `concurrency` at a time (as the controller's workers would).
    func reconcileAll(_ keys: [ObjectKey], concurrency: Int = 8, with tagger: CloudResourceTagger? = nil) async throws {
        let tagger = tagger ?? self.tagger
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            for _ in 0..<min(concurrency, keys.count) {
                let k = keys[next]
                next += 1
                group.addTask { _ = try await tagger.reconcile(k) }
            }
            while try await group.next() != nil {
                if next < keys.count {
                    let k = keys[next]
                    next += 1
                    group.addTask { _ = try await tagger.reconcile(k) }
                }
            }
        }
        await tagger.batcher.flush()
    }

    /// Requests that changed something (not reads or watches), optionally of one resource type.
    func writes(_ resource: String? = nil) -> [RecordedRequest] {
        server.requests().filter { r in
            !["get", "list", "watch"].contains(r.verb) && r.resource != "events" && (resource == nil || r.resource == resource)
        }
    }
}

extension CloudResourceTagger {
    /// A reconcile, then the batcher's round for what it filed: what the operator's background batcher
    /// does a moment later (tests check the approvals right after).
    @discardableResult
    func reconcileAndFlush(_ key: ObjectKey) async throws -> ReconcileResult {
        let result = try await reconcile(key)
        await batcher.flush()
        return result
    }
}

func instanceSpec(_ i: Int, name: String? = nil, account: String = "111111111111", native: [String: String]? = nil) -> CloudResourceSpec {
    CloudResourceSpec(
        provider: "aws", id: "arn:aws:ec2:eu-west-1:\(account):instance/i-\(i)", type: "ec2:instance", name: name ?? "web-\(i)",
        account: account, region: "eu-west-1", nativeTags: native)
}

/// A volume attached to the instance `target` (it inherits from it).
func volumeSpec(attachedTo target: String) -> CloudResourceSpec {
    CloudResourceSpec(
        provider: "aws", id: "arn:aws:ec2:eu-west-1:111111111111:volume/vol-1", type: "ec2:volume", name: "vol-1",
        account: "111111111111", region: "eu-west-1", relations: [Relation(type: "AttachedTo", target: target)])
}
