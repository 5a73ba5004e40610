import Foundation
import K8sClient
import Logging
import TaggingAPI

/// The tagging half of the manager: the CloudResource tagger, the TaggingRule and TagApproval
/// reconcilers and the model lifecycle, wired to the informers.
struct TaggingWiring: Sendable {
    typealias MakeController = (String, @escaping Controller.Reconcile) -> Controller

    let controllers: [String: Controller]

    init(
        client: KubeClient, settings: VTagManager.Settings, jobs: Informer<DiscoveryJob>, resources: Informer<CloudResource>,
        rules: Informer<TaggingRule>, approvals: Informer<TagApproval>, model: ModelHolder, events: EventRecorder,
        logger: Logger, makeController: MakeController
    ) throws {
        controllers = [:]
    }

    /// The leader's background work besides the controllers (the model lifecycle); returns when cancelled.
    func runWhileLeading(resources: Informer<CloudResource>) async {}
}
