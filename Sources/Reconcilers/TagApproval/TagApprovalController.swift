import K8sClient
import Logging
import TaggingAPI

extension TagApprovalReconciler {
    /// Registers the TagApproval controller with `manager`: it carries people's decisions to the resources
    /// and the model and expires undecided approvals. It reads resources from their cache, so it starts
    /// once that cache has synced.
    ///
    /// The echo of the tagger's batcher adding resources to an approval is not reconciled. The batcher
    /// writes only pending approvals, whose phase and conditions do not depend on the list: each such
    /// reconcile would only move `observedGeneration` (one status write per batch) and make the batcher's
    /// next write conflict. So a pending approval's `observedGeneration` is the one it was last reconciled
    /// at; its creation (until its first status), a person's decision and every other change are reconciled.
    static func register(
        with manager: Manager, model: ModelHolder, settings: VTagManager.Settings, events: EventRecorder, batcherWrites: OwnWrites
    ) {
        let approvals = manager.informer(TagApproval.self)
        let resources = manager.informer(CloudResource.self)
        let reconciler = TagApprovalReconciler(
            client: manager.client, approvals: approvals.store, resources: resources.store, model: model, settings: settings.tagging,
            events: events, logger: Logger(label: "vtag.approvals"))
        let controller = manager.controller("tagapproval") { try await reconciler.reconcile($0) }
        controller.watch(approvals, predicate: EventPredicate { event in
            switch event {
            case .added: return true
            case .updated(_, let new, let fromList):
                // The batcher's create lands in the cache before its watch event, which then comes as an
                // update: an approval without a phase yet has not been reconciled, so it passes.
                let echo = batcherWrites.isEcho(new)
                return fromList || !echo || new.status?.phase == nil
            case .deleted(let old):
                batcherWrites.discard(old)
                return true
            }
        })
        controller.waitsFor(resources)
    }
}
