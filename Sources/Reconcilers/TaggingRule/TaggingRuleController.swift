import K8sClient
import Logging
import TaggingAPI

extension TaggingRuleReconciler {
    /// Registers the TaggingRule controller with `manager`: a rule is reconciled when it changes and when
    /// the tagger's evaluations moved its matched count (`ruleMatchesChanged`).
    static func register(with manager: Manager, tagger: CloudResourceTagger, events: EventRecorder) {
        let rules = manager.informer(TaggingRule.self)
        let reconciler = TaggingRuleReconciler(
            client: manager.client, rules: rules.store, tagger: tagger, events: events, logger: Logger(label: "vtag.rules"))
        let controller = manager.controller("taggingrule") { try await reconciler.reconcile($0) }
        controller.watch(rules)
        controller.reconcileOn(tagger.ruleMatchesChanged)
    }
}
