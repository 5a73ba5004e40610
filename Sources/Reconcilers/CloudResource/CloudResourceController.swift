import K8sClient
import Logging
import TaggingAPI

extension CloudResourceTagger {
    /// Registers the CloudResource controller with `manager`. A resource is evaluated again when:
    /// - it changes (not on the echo of the tagger's own status write: nothing new to evaluate);
    /// - a rule that can touch it changes its spec, appears or goes (old scope and new);
    /// - a resource it inherits from changed its applied tags (`dependentsChanged`);
    /// - the model caught up with the estate (`model.caughtUp`), and every `reevaluateInterval` (low lane); on a
    ///   fresh install, a resource seen before the first model waits for it (the first training fires all);
    /// - its suggestions could not be written (`batcher.retry`).
    /// Rules and approvals are cached before the first evaluation (a missing rule would apply wrong tags, a
    /// missing approval would duplicate a suggestion), and reconciles wait for the leader's first model, so
    /// a warm start does not evaluate everything twice.
    static func register(
        with manager: Manager, model: ModelRunnable, settings: VTagManager.Settings, events: EventRecorder, stopping: AsyncSignal
    ) -> CloudResourceTagger {
        let resources = manager.informer(CloudResource.self)
        let rules = manager.informer(TaggingRule.self)
        let approvals = manager.informer(TagApproval.self)
        let tagger = CloudResourceTagger(
            client: manager.client, resources: resources.store, rules: rules.store, approvals: approvals.store, model: model.holder,
            settings: settings.tagging, events: events, awaitsFirstModel: { [lifecycle = model.lifecycle] in lifecycle.awaitsFirstModel },
            logger: Logger(label: "vtag.tagger"))
        let ready = model.ready
        // A reconcile mostly waits for its one status write: more of them in flight keep up with discovery.
        let controller = manager.controller("cloudresource", workers: settings.workers * taggerWorkersPerWorker) { key in
            guard await ready.waitUnless(stopping) else { return .done }  // stopping before the model was ready
            return try await tagger.reconcile(key)
        }
        controller.watch(resources, predicate: .notOwnWrite(tagger.ownWrites))
        controller.watches(rules, predicate: .updates { old, new in
            old.spec != new.spec || old.metadata.generation != new.metadata.generation
                || old.metadata.deletionTimestamp != new.metadata.deletionTimestamp
        }) { tagger.resourcesTouched(by: $0) }
        controller.waitsFor(approvals)
        controller.reconcileOn(tagger.dependentsChanged)
        controller.reconcileOn(model.caughtUp)
        controller.reconcileOn(tagger.batcher.retry)
        controller.resync(every: settings.tagging.reevaluateInterval) { resources.store.keys() }
        // The batcher writes suggestions while this replica leads; at a stop (after the controllers drained)
        // it writes what was filed last.
        let batcher = tagger.batcher
        manager.add(RunnableTask(needsLeaderElection: true, onStop: { await batcher.flush() }) { await batcher.run() })
        return tagger
    }

    /// The CloudResource controller runs this many times `--workers` reconciles (4 x 4 = 16 by default).
    static let taggerWorkersPerWorker = 4
}
