import Foundation
import K8sClient
import Logging
import TaggingAPI

/// The tagging half of the manager: the CloudResource tagger, the TaggingRule and TagApproval
/// reconcilers and the model lifecycle, wired to the informers.
struct TaggingWiring: Sendable {
    typealias MakeController = (String, @escaping Controller.Reconcile) -> Controller

    let tagger: CloudResourceTagger
    let controllers: [String: Controller]

    init(
        client: KubeClient, settings: VTagManager.Settings, jobs: Informer<DiscoveryJob>, resources: Informer<CloudResource>,
        rules: Informer<TaggingRule>, approvals: Informer<TagApproval>, model: ModelHolder, events: EventRecorder,
        logger: Logger, makeController: MakeController
    ) throws {
        let tagger = CloudResourceTagger(
            client: client, resources: resources.store, rules: rules.store, approvals: approvals.store, model: model,
            settings: settings.tagging, events: events, logger: Logger(label: "vtag.tagger"))
        self.tagger = tagger

        // CloudResources: each change re-evaluates the resource (the tagger also requeues every resource
        // after reevaluateInterval, which catches model updates).
        let tagging = makeController("cloudresource") { try await tagger.reconcile($0) }
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

        controllers = ["cloudresource": tagging, "taggingrule": ruleController]
    }

    /// The leader's background work besides the controllers (the model lifecycle); returns when cancelled.
    func runWhileLeading(resources: Informer<CloudResource>) async {}
}
