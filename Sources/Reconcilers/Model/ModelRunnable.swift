import K8sClient
import Logging
import TaggingAPI

/// The leader's model lifecycle, run by the manager while this replica leads: load the stored model (a
/// warm start), train one when there is none, then retrain periodically when the estate changed, and soon
/// while the model is young (`ModelLifecycle.run`).
///
/// `ready` comes once the first model is loaded, trained or given up on: the tagger waits for it. After a
/// catch-up training `caughtUp` fires every cached CloudResource (low lane), so what was evaluated with an
/// older model (or held for the first one, on a fresh install's first discovery) is evaluated now, not at
/// the next periodic re-evaluation.
struct ModelRunnable: Runnable {
    let lifecycle: ModelLifecycle
    let holder: ModelHolder
    let resources: Store<CloudResource>
    let retrainInterval: Duration
    let firstModelWait: Duration
    /// Whether this process's discovery has a run in flight (the first model waits for it to end).
    let discoveryInFlight: @Sendable () async -> Bool
    let ready = AsyncSignal()
    let caughtUp = ReconcileTrigger()
    let logger: Logger

    var needsLeaderElection: Bool { true }

    /// How often the loop looks while the model is young. Short, because on a fresh install the tagger holds
    /// resources it sees for the first time until the first model (`CloudResourceTagger.awaitsFirstModel`).
    static let catchUpTick = Duration.seconds(1)

    /// Makes the model's lifecycle and adds it to `manager` as a leader runnable.
    static func register(with manager: Manager, settings: VTagManager.Settings, discovery: DiscoveryJobReconciler) -> ModelRunnable {
        let resources = manager.cache(CloudResource.self)
        let holder = ModelHolder()
        let runnable = ModelRunnable(
            lifecycle: ModelLifecycle(
                client: manager.client, resources: resources, holder: holder, settings: settings.tagging, logger: Logger(label: "vtag.model")),
            holder: holder, resources: resources, retrainInterval: settings.modelRetrainInterval,
            firstModelWait: settings.firstModelWait,
            discoveryInFlight: { [runs = discovery.runs] in await runs.anyRunning }, logger: settings.logger)
        manager.add(runnable)
        return runnable
    }

    func run() async {
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
        ready.signal()
        let onCatchUp: @Sendable () async -> Void = { [resources, caughtUp, logger] in
            let keys = Self.parentsFirst(resources)
            logger.info("model caught up with the estate: evaluating it again", metadata: ["resources": "\(keys.count)"])
            caughtUp.fire(keys, lane: .low)
        }
        await lifecycle.run(every: retrainInterval, catchUp: Self.catchUpTick, firstModelPatience: firstModelWait,
            onCatchUp: onCatchUp, discoveryInFlight: discoveryInFlight)
    }

    /// Every cached resource's key in the order a first evaluation is best made in: those that relate to no other
    /// resource, then those related ones that others relate to (an instance in a subnet, with volumes attached),
    /// then the rest. On a first discovery a child evaluated before its parent would be written twice
    /// (`CloudResourceTagger.awaitsParent` holds it, for a while).
    static func parentsFirst(_ resources: Store<CloudResource>) -> [ObjectKey] {
        struct Related { var key: ObjectKey; var id: String }
        var roots: [ObjectKey] = [], related: [Related] = []
        roots.reserveCapacity(resources.count)
        resources.forEach { resource in
            if resource.spec.relations?.isEmpty ?? true {
                roots.append(ObjectKey(resource))
            } else {
                related.append(Related(key: ObjectKey(resource), id: resource.spec.id))
            }
        }
        // Outside `forEach`: it holds the store's lock, which an index lookup takes too.
        var parents: [ObjectKey] = [], children: [ObjectKey] = []
        for r in related {
            let dependents = resources.keys(index: CloudResourceTagger.relationTargetIndex, value: CloudResourceTagger.idValue(r.id))
            if dependents.isEmpty { children.append(r.key) } else { parents.append(r.key) }
        }
        return roots + parents + children
    }

    func stop() async {}
}
