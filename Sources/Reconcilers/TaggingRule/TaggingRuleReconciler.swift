import Foundation
import Inference
import K8sClient
import KubeCore
import Logging
import TaggingAPI

/// Reconciles TaggingRules: compiles each rule alone and reports it Ready (reason Compiled) or not
/// (reason Invalid, with the compiler's message, and a Warning Event InvalidRule), plus how many resources
/// it matched at their last evaluation (from the tagger's ledger, no re-evaluation).
///
/// An invalid rule is only reported: the tagger leaves it out of the namespace's rule set and every other
/// rule keeps working. The status is written only when it changes; `lastEvaluatedAt` moves only when
/// `matchedResources` or the generation does. While resources are being evaluated the count moves often:
/// a write that only changes the count waits `countWriteInterval` after the previous one.
///
/// Registered with the manager by `TaggingRuleController.swift` (it reconciles on `tagger.ruleMatchesChanged`).
public final class TaggingRuleReconciler: Sendable {
    let client: KubeClient
    let rules: Store<TaggingRule>
    let tagger: CloudResourceTagger
    let events: EventRecorder?
    let now: @Sendable () -> Date
    let countWriteInterval: Duration
    let logger: Logger
    let problemsMemo = RuleProblemsMemo()

    public init(
        client: KubeClient, rules: Store<TaggingRule>, tagger: CloudResourceTagger, events: EventRecorder?,
        now: @escaping @Sendable () -> Date = { Date() }, countWriteInterval: Duration = .seconds(5),
        logger: Logger = Logger(label: "vtag.rules")
    ) {
        self.client = client
        self.rules = rules
        self.tagger = tagger
        self.events = events
        self.now = now
        self.countWriteInterval = countWriteInterval
        self.logger = logger
    }

    /// Why a rule cannot work (schema rules a server may not have enforced, then the compiler), or empty.
    public static func problems(of rule: TaggingRule, tables: NormalisationTables) -> [String] {
        var problems = rule.spec.admissionViolations().map(\.description)
        let (_, errors) = RuleSet.compile([rule], tables: tables)
        problems += errors.map(\.message)
        return problems
    }

    /// Reports the cached rule `key` (what the controller calls); a gone rule needs nothing.
    public func reconcile(_ key: ObjectKey) async throws -> ReconcileResult {
        let reconcile = CachedObjectReconcile(rules, gone: { key in
            self.problemsMemo.forget(key)
            return .done
        }) { try await self.report($0) }
        return try await reconcile(key)
    }

    func report(_ rule: TaggingRule) async throws -> ReconcileResult {
        let key = ObjectKey(rule)
        let now = self.now().truncatedToWholeSecond
        let generation = rule.metadata.generation
        let tables = tagger.settings.inference.normalisation
        let problems = problemsMemo.problems(of: rule) { Self.problems(of: $0, tables: tables) }

        var status = rule.status ?? TaggingRuleStatus()
        var conditions = status.conditions ?? []
        let ready = problems.isEmpty
            ? Condition(type: VTag.ConditionType.ready, status: .true, observedGeneration: generation, lastTransitionTime: now,
                        reason: "Compiled", message: "the rule compiled and is in use")
            : Condition(type: VTag.ConditionType.ready, status: .false, observedGeneration: generation, lastTransitionTime: now,
                        reason: "Invalid", message: problems.joined(separator: "; "))
        let readyChanged = conditions.set(ready)
        status.conditions = conditions

        var result = ReconcileResult.done
        var matched = tagger.matchedResources(of: key)
        if !tagger.hasEvaluatedAll, let reported = status.matchedResources {
            // Just after a restart the ledger is still filling: keep the last reported count until every
            // resource has been evaluated, and look again then.
            matched = reported
            result = .requeue(after: max(countWriteInterval, .seconds(1)))
        }
        let generationChanged = status.observedGeneration != generation
        let countChanged = status.matchedResources != matched
        if countChanged, !generationChanged, !readyChanged, let last = status.lastEvaluatedAt {
            let wait = countWriteInterval.inSeconds - now.timeIntervalSince(last)
            if wait > 0 { return .requeue(after: .milliseconds(Int64(wait * 1000) + 1)) }
        }
        if countChanged || generationChanged || status.lastEvaluatedAt == nil { status.lastEvaluatedAt = now }
        status.matchedResources = matched
        status.observedGeneration = generation
        guard status != rule.status else { return result }

        var updated = rule
        updated.status = status
        try await CacheAwareApi(client: client, namespace: key.namespace ?? "", cache: rules).replaceStatus(updated)
        if readyChanged || generationChanged, !problems.isEmpty {
            events?.record(rule, type: .warning, reason: "InvalidRule", message: problems.joined(separator: "; "))
            logger.warning("invalid TaggingRule", metadata: ["rule": "\(key)", "problems": "\(problems.joined(separator: "; "))"])
        }
        return result
    }

}
