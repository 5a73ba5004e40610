import Foundation
import Inference
import K8sClient
import KubeCore
import Logging
import Metrics
import Synchronization
import TaggingAPI

/// Reconciles CloudResources: infers their virtual tags with the namespace's compiled rules and the
/// current model, writes the status only when it changes, and files suggestions for grouped TagApprovals
/// (the `ApprovalBatcher` writes them in the background).
///
/// Registered with the manager by `register(with:...)` in `CloudResourceController.swift` (docs/ARCHITECTURE.md,
/// "One CloudResource event, from the watch to the status write").
/// It tells other controllers what to look at through two triggers: `dependentsChanged` (resources
/// that inherit from one whose applied tags changed) and `ruleMatchesChanged` (rules whose matched
/// count moved). Its own status writes are recorded in `ownWrites`, so their echo costs nothing.
///
/// The tagger writes the whole status back (a merge patch of the status alone, guarded by the cached
/// resourceVersion: `CacheAwareApi.patchStatus(of:)`), so the resources cache must hold complete statuses: a Store transform may drop metadata.managedFields or
/// annotations, never status fields. It registers indexes on the three caches (see the `*Index` names).
///
/// Per reconcile the cost is a few cache lookups, one inference and (only on change) one status write:
/// no scan of the namespace, rules compiled once per change of the namespace's rules, statuses compared
/// as Swift values.
public final class CloudResourceTagger: Sendable {
    /// CloudResources by the digest of `spec.id` (`idValue`): finds a related resource (a volume's instance).
    public static let providerIdIndex = "vtag-provider-id"
    /// CloudResources by the digest of each relation's target id: finds the resources that inherit from one.
    public static let relationTargetIndex = "vtag-relation-target"

    let client: KubeClient
    let resources: Store<CloudResource>
    let rules: Store<TaggingRule>
    let approvals: Store<TagApproval>
    let model: ModelHolder
    public let settings: TaggingSettings
    let events: EventRecorder?
    let now: @Sendable () -> Date
    /// Whether resources never evaluated should wait for the first model (nil: never; the operator waits
    /// while the leader's model lifecycle has none yet, see `CloudResourceController.swift`).
    let awaitsFirstModel: @Sendable () -> Bool
    let logger: Logger

    let inferencers: InferencerCache
    let scope: RuleScopeIndex
    let ledger = EvaluationLedger()
    /// When this tagger first got past the wait for the first model: a resource discovered before then (a first
    /// discovery held for the model) waits for its parent from then on, not from its creation (`awaitsParent`).
    let evaluatingSince = Locked<Date?>(nil)
    let metrics: TaggerMetrics
    /// Writes suggestions into TagApprovals in background rounds (run it: `batcher.run()`, a leader runnable).
    public let batcher: ApprovalBatcher

    /// Fired with the keys of TaggingRules whose matched-resource count changed (the rule controller
    /// reconciles on it).
    public let ruleMatchesChanged = ReconcileTrigger()
    /// Fired with the keys of CloudResources related to one whose applied tags changed (they may inherit
    /// from it; this controller reconciles on it).
    public let dependentsChanged = ReconcileTrigger()
    /// This tagger's own status writes, until their watch echo arrives (`EventPredicate.notOwnWrite`).
    public let ownWrites = OwnWrites()
    private let evaluationCount = Atomic<Int>(0)

    /// Inferences run since this tagger was made (what a reconcile costs; benchmarks divide it by resources).
    public var evaluations: Int { evaluationCount.load(ordering: .relaxed) }

    public init(
        client: KubeClient, resources: Store<CloudResource>, rules: Store<TaggingRule>, approvals: Store<TagApproval>,
        model: ModelHolder, settings: TaggingSettings, events: EventRecorder?,
        now: @escaping @Sendable () -> Date = { Date() }, awaitsFirstModel: @escaping @Sendable () -> Bool = { false },
        logger: Logger = Logger(label: "vtag.tagger")
    ) {
        self.client = client
        self.resources = resources
        self.rules = rules
        self.approvals = approvals
        self.model = model
        self.settings = settings
        self.events = events
        self.now = now
        self.awaitsFirstModel = awaitsFirstModel
        self.logger = logger
        inferencers = InferencerCache(rules: rules, config: settings.inference)
        scope = RuleScopeIndex(resources: resources)
        batcher = ApprovalBatcher(client: client, approvals: approvals)
        metrics = TaggerMetrics()
        resources.addIndex(Self.providerIdIndex, Self.providerIdValues)
        resources.addIndex(Self.relationTargetIndex, Self.relationTargetValues)
    }

    /// What the two indexes file a resource under.
    public static let providerIdValues: Store<CloudResource>.IndexFunction = { [idValue($0.spec.id)] }
    public static let relationTargetValues: Store<CloudResource>.IndexFunction = { r in (r.spec.relations ?? []).map { idValue($0.target) } }

    /// A provider id's index value: 15 hex digits of its 64-bit FNV-1a hash. Fifteen ASCII bytes fit inside a
    /// String value, so an index entry holds no copy of the id (an ARN of about 90 bytes) on the heap. Lookups
    /// check the namespace and the id of what they find: another id with the same digest is skipped.
    static func idValue(_ id: String) -> String {
        let digest = ResourceNaming.fnv1a64(id) >> 4
        let hex = String(digest, radix: 16)
        return String(repeating: "0", count: 15 - hex.utf8.count) + hex
    }

    /// The cached resource with provider id `id` in `namespace` (one of them, should there be several).
    func cached(id: String, namespace: String) -> CloudResource? {
        for key in resources.keys(index: Self.providerIdIndex, value: Self.idValue(id)) where (key.namespace ?? "") == namespace {
            if let resource = resources.get(key), resource.spec.id == id { return resource }
        }
        return nil
    }

    /// How many evaluated resources the rule matched at their last evaluation (TaggingRule `matchedResources`).
    public func matchedResources(of rule: ObjectKey) -> Int { ledger.count(rule: rule) }

    /// Whether every cached CloudResource has been evaluated since the process started, i.e. whether the
    /// matched counts are complete (right after a restart they are still filling up).
    public var hasEvaluatedAll: Bool { ledger.resourceCount >= resources.count }

    /// Per required key: how many evaluated resources have an applied value, out of how many were evaluated
    /// (vanished ones excluded). For the `vtag_required_key_coverage` gauges; a lookup, no scan.
    public func requiredKeyCoverage() -> [String: (covered: Int, total: Int)] {
        ledger.coverage(of: settings.inference.requiredKeys)
    }

    // MARK: Rule -> resources

    /// The CloudResources `rule` can touch, under its current spec and the last spec seen for it (a narrowed
    /// rule re-evaluates what it no longer matches; a deleted rule what it matched). The map function of the
    /// CloudResource controller's `watches(rules)` (`CloudResourceController.swift`).
    public func resourcesTouched(by rule: TaggingRule) -> [ObjectKey] {
        scope.resourcesTouched(by: rule, stillExists: rules.get(ObjectKey(rule)) != nil)
    }

    // MARK: Reconcile

    /// Evaluates the cached resource `key` (what the controller calls).
    public func reconcile(_ key: ObjectKey) async throws -> ReconcileResult {
        let reconcile = CachedObjectReconcile(resources, gone: { self.forget($0) }) { try await self.evaluate($0) }
        return try await reconcile(key)
    }

    /// A resource gone from the cache (or being deleted) no longer counts towards rules and coverage.
    func forget(_ key: ObjectKey) -> ReconcileResult {
        notifyRules(ledger.remove(key))
        return .done
    }

    /// Infers the resource's tags, writes its status when it changed, and files its suggestions.
    func evaluate(_ resource: CloudResource) async throws -> ReconcileResult {
        let key = ObjectKey(resource)
        // A vanished resource keeps its tags as they are and gets no new suggestions; it is looked at
        // again when discovery sees it (the update wakes it up).
        if resource.status?.phase == .vanished {
            notifyRules(ledger.record(key, matched: []))
            ledger.uncover(key)
            return .done
        }
        let namespace = key.namespace ?? ""
        if resource.status?.evaluatedAt == nil, awaitsFirstModel() {
            // A fresh install's first discovery: written now and again once the model (trained on this estate
            // within seconds) applies its tags, the resource would cost two status writes. The first training
            // fires every resource (`ModelRunnable.caughtUp`), a failed one too.
            return .done
        }
        let started = evaluatingSince.withLock { since in
            if since == nil { since = self.now() }
            return since!
        }
        if awaitsParent(resource, namespace: namespace, evaluatingSince: started) {
            // The parent's first evaluation fires `dependentsChanged` for it; the requeue is a backstop.
            return .requeue(after: Self.parentWait)
        }
        let inferencer = inferencers.inferencer(namespace: namespace, model: model.current)
        let result = inferencer.infer(Self.input(for: resource)) { id in self.related(id, namespace: namespace) }
        notifyRules(ledger.record(key, matched: result.matchedRules))
        metrics.evaluations.increment()
        evaluationCount.add(1, ordering: .relaxed)

        // Whole seconds: what the API server stores, so a written status reads back equal.
        let now = self.now().truncatedToWholeSecond
        let built = TagStatus.build(
            current: resource.status, result: result, spec: resource.spec, generation: resource.metadata.generation, now: now,
            requiredKeys: settings.inference.requiredKeys)
        var status = built.status
        let changes = built.changes
        ledger.record(key, missing: status.missingKeys ?? [])
        let interval = settings.reevaluateInterval.inSeconds
        let due = resource.status?.evaluatedAt.map { now.timeIntervalSince($0) >= interval } ?? true
        // A new model version alone, or a model's drift on the tags it keeps, is recorded with the next change
        // or the periodic refresh (`TagStatus.needsWrite`).
        if TagStatus.needsWrite(status, over: resource.status) || due {
            status.evaluatedAt = now
            var updated = resource
            updated.status = status
            try await CacheAwareApi(client: client, namespace: namespace, cache: resources, ownWrites: ownWrites).patchStatus(of: updated)
            metrics.statusWrites.increment()
            metrics.count(changes)
            if !changes.isEmpty {
                events?.record(resource, reason: "TagsApplied", message: TagStatus.summary(changes))
            }
            // A first evaluation also wakes the resources that waited for it (`awaitsParent`).
            if !changes.isEmpty || resource.status?.evaluatedAt == nil {
                notifyDependents(of: resource)
            }
        }
        // The batcher writes it in the background (withdrawals before additions); the worker goes on.
        fileSuggestions(result.suggested, for: resource, modelLoaded: inferencer.model != nil)
        // Nothing to come back for: a change wakes the resource up, and the manager's periodic resync
        // (every reevaluateInterval) catches model updates.
        return .done
    }

    /// How long a new resource waits at most for a resource it inherits from (`awaitsParent`).
    static let parentWait = Duration.seconds(15)
    static let parentWaitLimit: TimeInterval = 60

    /// Whether a resource seen for the first time should wait for a related resource that is cached but
    /// not evaluated yet. Evaluated first, it would be written twice: without the tags it inherits, then
    /// with them once the parent's first evaluation fires `dependentsChanged`. Discovery creates a parent
    /// and its children side by side, so on a first discovery this saves a status write per child. Bounded:
    /// never on a re-evaluation, not for a vanished or deleted parent, not when the parent relates back to
    /// the resource (two waiting for each other), and not once the resource has waited `parentWaitLimit` (longer
    /// cycles, a parent that never gets evaluated) or its age is unknown. It waits from its creation, or from
    /// `evaluatingSince` when it was created before the tagger began evaluating (held for the first model).
    func awaitsParent(_ resource: CloudResource, namespace: String, evaluatingSince: Date) -> Bool {
        guard resource.status?.evaluatedAt == nil, let relations = resource.spec.relations, !relations.isEmpty,
              let created = resource.metadata.creationTimestamp,
              now().timeIntervalSince(max(created, evaluatingSince)) < Self.parentWaitLimit else { return false }
        for relation in relations {
            guard let parent = cached(id: relation.target, namespace: namespace) else { continue }
            if parent.status?.evaluatedAt == nil, parent.status?.phase != .vanished, parent.metadata.deletionTimestamp == nil,
               !(parent.spec.relations ?? []).contains(where: { $0.target == resource.spec.id }) {
                return true
            }
        }
        return false
    }

    /// What inference needs from a resource: its spec, the values people approved (approval-source virtual
    /// tags) and the values they denied.
    static func input(for resource: CloudResource) -> InferenceInput {
        var approved: [String: String] = [:]
        for t in resource.status?.virtualTags ?? [] where t.source == .approval { approved[t.key] = t.value }
        return InferenceInput(spec: resource.spec, approved: approved, rejected: resource.status?.rejected ?? [])
    }

    /// A related resource by provider id in the same namespace: its applied tags and name.
    func related(_ id: String, namespace: String) -> RelatedResource? {
        guard let parent = cached(id: id, namespace: namespace) else { return nil }
        var tags: [String: String] = [:]
        for t in parent.status?.virtualTags ?? [] { tags[t.key] = t.value }
        return RelatedResource(tags: tags, name: parent.spec.name)
    }

    /// Files the resource's current suggestions with the batcher: it adds the resource to each suggested
    /// group that does not list it yet (unless a person denied the value) and takes it out of pending
    /// approvals whose suggestion inference no longer makes (a rule or the model changed, or the value is now
    /// applied), so a person cannot approve a stale value. Decided approvals are left as records.
    func fileSuggestions(_ suggested: [InferredTag], for resource: CloudResource, modelLoaded: Bool) {
        let namespace = resource.metadata.namespace ?? ""
        let rejected = Set((resource.status?.rejected ?? []).map { "\($0.key)\u{0}\($0.value)" })
        var want: [ApprovalGroup: SuggestionWant.Suggestion] = [:]
        for t in suggested {
            let group = ApprovalGroup(namespace: namespace, key: t.key, value: t.value, source: t.source, rule: t.rule)
            let addable = !rejected.contains("\(t.key)\u{0}\(t.value)") && TagStatus.fitsSchema(t)
            if want[group]?.addable == true { continue }
            want[group] = SuggestionWant.Suggestion(
                entry: ApprovalResource(name: resource.name, confidence: t.confidence, reason: TagStatus.bounded(t.reason, 1024)),
                addable: addable)
        }
        batcher.file(SuggestionWant(namespace: namespace, resource: resource.name, suggested: want, modelLoaded: modelLoaded))
    }

    private func notifyRules(_ changed: [ObjectKey]) {
        ruleMatchesChanged.fire(changed)
    }

    private func notifyDependents(of resource: CloudResource) {
        let namespace = resource.metadata.namespace ?? ""
        // A resource of another namespace, or one related to another id of the same digest, is only evaluated once more.
        let keys = resources.keys(index: Self.relationTargetIndex, value: Self.idValue(resource.spec.id)).filter { ($0.namespace ?? "") == namespace }
        dependentsChanged.fire(keys.sorted())
    }

}
