import Foundation
import K8sClient
import Logging
import TaggingAPI

/// The tagging half of the manager: the CloudResource tagger, the TaggingRule and TagApproval
/// reconcilers and the model lifecycle, wired to the informers.
struct TaggingWiring: Sendable {
    typealias MakeController = (String, @escaping Controller.Reconcile) -> Controller

    let tagger: CloudResourceTagger
    let lifecycle: ModelLifecycle
    let controllers: [String: Controller]
    let retrainInterval: Duration
    let logger: Logger
    /// Signalled once the leader has loaded (or trained, or failed to get) a model: the tagger waits
    /// for it, so a warm start does not evaluate everything twice (without and then with the model).
    let modelReady = AsyncSignal()
    /// Signalled on stop: reconciles still waiting for the model give up (the next leader does them).
    let stopping = AsyncSignal()

    init(
        client: KubeClient, settings: VTagManager.Settings, jobs: Informer<DiscoveryJob>, resources: Informer<CloudResource>,
        rules: Informer<TaggingRule>, approvals: Informer<TagApproval>, model: ModelHolder, events: EventRecorder,
        logger: Logger, makeController: MakeController
    ) throws {
        let tagger = CloudResourceTagger(
            client: client, resources: resources.store, rules: rules.store, approvals: approvals.store, model: model,
            settings: settings.tagging, events: events, logger: Logger(label: "vtag.tagger"))
        self.tagger = tagger
        self.lifecycle = ModelLifecycle(
            client: client, resources: resources.store, holder: model, settings: settings.tagging, logger: Logger(label: "vtag.model"))
        self.retrainInterval = settings.modelRetrainInterval
        self.logger = logger
        let modelReady = self.modelReady
        let stopping = self.stopping

        // CloudResources: each change re-evaluates the resource; `resyncWhileLeading` puts every resource
        // back in the queue once per reevaluateInterval, which catches model updates.
        let tagging = makeController("cloudresource") { key in
            if !modelReady.isSignalled {
                await Self.firstOf(modelReady, stopping)
                if !modelReady.isSignalled { return .done }  // stopping before the model was ready
            }
            return try await tagger.reconcile(key)
        }
        tagging.watch(resources)
        // Rules and approvals must be cached before the first evaluation (a missing rule would apply
        // wrong tags; a missing approval would duplicate a suggestion): the controller waits for both.
        tagging.watches(rules) { _ in [] }
        tagging.watches(approvals) { _ in [] }
        // A rule's spec change (or its creation or deletion) re-evaluates exactly the resources it can
        // touch, old scope and new. Status writes (matchedResources) change nothing the tagger reads.
        rules.addHandler { event in
            let touched: [ObjectKey]
            switch event {
            case .added(let rule, _), .deleted(let rule):
                touched = tagger.resourcesTouched(by: rule)
            case .updated(let old, let new, _):
                guard old.spec != new.spec || old.metadata.generation != new.metadata.generation
                    || old.metadata.deletionTimestamp != new.metadata.deletionTimestamp else { return }
                touched = tagger.resourcesTouched(by: new)
            }
            await tagging.queue.add(contentsOf: touched)
        }
        // A resource's applied tags changed: the ones that inherit from it look again.
        tagger.onDependentsChanged = { keys in Task { await tagging.queue.add(contentsOf: keys) } }

        // TaggingRules: validity and matchedResources (fed by the tagger's ledger).
        let ruleReconciler = TaggingRuleReconciler(
            client: client, rules: rules.store, tagger: tagger, events: events, logger: Logger(label: "vtag.rules"))
        let ruleController = makeController("taggingrule") { try await ruleReconciler.reconcile($0) }
        ruleController.watch(rules)
        tagger.onRuleMatchesChanged = { keys in Task { await ruleController.queue.add(contentsOf: keys) } }

        // TagApprovals: carry people's decisions to the resources and the model; expire undecided ones.
        let approvalReconciler = TagApprovalReconciler(
            client: client, approvals: approvals.store, resources: resources.store, model: model, settings: settings.tagging,
            events: events, logger: Logger(label: "vtag.approvals"))
        let approvalController = makeController("tagapproval") { try await approvalReconciler.reconcile($0) }
        approvalController.watch(approvals)
        approvalController.watches(resources) { _ in [] }  // reads resources from the cache: wait for it

        controllers = ["cloudresource": tagging, "taggingrule": ruleController, "tagapproval": approvalController]
    }

    /// Every `interval`, every cached CloudResource is evaluated again, in the queue's low lane so live
    /// changes go first (an unchanged resource costs one inference and no write). Returns when cancelled.
    func resyncWhileLeading(resources: Informer<CloudResource>, every interval: Duration) async {
        guard let tagging = controllers["cloudresource"] else { return }
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            let keys = resources.store.keys()
            logger.debug("periodic re-evaluation", metadata: ["resources": "\(keys.count)"])
            await tagging.queue.add(contentsOf: keys, lane: .low)
        }
    }

    /// Waits until either signal fires (or the task is cancelled).
    static func firstOf(_ a: AsyncSignal, _ b: AsyncSignal) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await a.wait() }
            group.addTask { await b.wait() }
            await group.next()
            group.cancelAll()
        }
    }

    /// The leader's model lifecycle: load the stored model (warm start), train one when there is none,
    /// then retrain periodically when the estate changed, and soon while the model is young. After such a
    /// catch-up training every cached CloudResource is evaluated again (low lane), so what was evaluated
    /// without the model (a fresh install's first discovery) gets its suggestions now, not at the next
    /// periodic re-evaluation. Returns when cancelled.
    func runWhileLeading(resources: Informer<CloudResource>) async {
        await resources.waitForSync()
        guard !Task.isCancelled else { return }
        do {
            if try await !lifecycle.load() {
                try await lifecycle.retrainIfNeeded()
            }
        } catch {
            if Task.isCancelled { return }
            logger.error("no model at start (tagging goes on without one; retried periodically)", metadata: ["error": "\(error)"])
        }
        modelReady.signal()
        let tagging = controllers["cloudresource"]
        await lifecycle.run(every: retrainInterval) { [logger] in
            guard let tagging else { return }
            let keys = resources.store.keys()
            logger.info("model caught up with the estate: evaluating it again", metadata: ["resources": "\(keys.count)"])
            await tagging.queue.add(contentsOf: keys, lane: .low)
        }
    }
}
