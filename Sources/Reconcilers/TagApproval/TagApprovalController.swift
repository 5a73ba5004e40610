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
    /// An update that only moves the list of a pending approval that has its status is skipped even when it
    /// is not known as the batcher's echo: an echo that outran the write's answer, or one of two writes in
    /// a row (only the last is recorded), would otherwise cost a status write each.
    static func register(
        with manager: Manager, model: ModelHolder, settings: VTagManager.Settings, events: EventRecorder, batcherWrites: OwnWrites
    ) {
        let approvals = manager.informer(TagApproval.self)
        let resources = manager.informer(CloudResource.self)
        let reconciler = TagApprovalReconciler(
            client: manager.client, approvals: approvals.store, resources: resources.store, model: model, settings: settings.tagging,
            events: events, logger: Logger(label: "vtag.approvals"))
        let controller = manager.controller("tagapproval") { try await reconciler.reconcile($0) }
        controller.watch(approvals, predicate: EventPredicate(echoesOf: batcherWrites) { event in
            switch event {
            case .added: return true
            case .updated(let old, let new, let fromList):
                // The batcher's create lands in the cache before its watch event, which then comes as an
                // update: an approval without a phase yet has not been reconciled, so it passes.
                let echo = batcherWrites.isEcho(new)
                if fromList || new.status?.phase == nil { return true }
                return !echo && !TagApprovalReconciler.onlyListMoved(from: old, to: new)
            case .deleted(let old):
                batcherWrites.discard(old)
                return true
            }
        })
        controller.waitsFor(resources)
    }

    /// Whether `new` differs from `old` only in the resources it lists (and the generation that follows),
    /// both pending with the same status: nothing a reconcile would act on.
    static func onlyListMoved(from old: TagApproval, to new: TagApproval) -> Bool {
        guard ApprovalBatcher.isPending(old), ApprovalBatcher.isPending(new), old.status == new.status else { return false }
        var listed = new.spec
        listed.resources = old.spec.resources
        listed.resourceCount = old.spec.resourceCount
        return listed == old.spec && old.metadata.labels == new.metadata.labels && old.metadata.annotations == new.metadata.annotations
    }
}
