import K8sClient
import Logging
import TaggingAPI

extension TagApprovalReconciler {
    /// Registers the TagApproval controller with `manager`: it carries people's decisions to the resources
    /// and the model and expires undecided approvals. It reads resources from their cache, so it starts
    /// once that cache has synced.
    static func register(with manager: Manager, model: ModelHolder, settings: VTagManager.Settings, events: EventRecorder) {
        let approvals = manager.informer(TagApproval.self)
        let resources = manager.informer(CloudResource.self)
        let reconciler = TagApprovalReconciler(
            client: manager.client, approvals: approvals.store, resources: resources.store, model: model, settings: settings.tagging,
            events: events, logger: Logger(label: "vtag.approvals"))
        let controller = manager.controller("tagapproval") { try await reconciler.reconcile($0) }
        controller.watch(approvals)
        controller.waitsFor(resources)
    }
}
