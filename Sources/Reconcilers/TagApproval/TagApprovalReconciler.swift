import Foundation
import Inference
import K8sClient
import KubeCore
import Logging
import TaggingAPI

/// Reconciles TagApprovals: carries a person's decision (`status.decision`, `reason`, `excluded`) to
/// the CloudResources the approval lists, feeds it to the model, and keeps the approval's phase and
/// conditions. A person owns the decision fields, this reconciler owns `phase`, `appliedCount`,
/// `conditions` and `observedGeneration`, and writes only those, with a merge patch of the status.
///
/// - Undecided: phase Pending (Decided=False) until `settings.approvalTTL` after creation, then Expired.
/// - Approved: every listed resource not excluded gets the virtual tag with source `approval`; phase
///   Applied once all of them carry it (a deleted resource is skipped, a manual tag on the key wins).
/// - Denied: every listed resource not excluded gets the value in `status.rejected`; phase Denied.
/// - A decision written after expiry is still carried out: it is a person's explicit choice, and the
///   tagger never suggests those resources again (they are listed in this approval).
/// - Level-triggered: every reconcile checks (in the cache) that each listed, not excluded resource
///   shows the decision, so resources the tagger added after the decision (it raced the person), a
///   resource taken out of `excluded`, or one discovered again get it too. Adding a resource to
///   `excluded` after the decision does not remove its tag: a person edits `spec.manualTags` for that.
/// - A person's manual tag on the key (spec.manualTags, also an empty value = removed by hand) wins:
///   that resource is skipped.
/// - The model learns each (resource, decision) once: right after the write that records it on the
///   resource. A resource that already shows the decision is not written and not learned again.
public final class TagApprovalReconciler: Sendable {
    let client: KubeClient
    let approvals: Store<TagApproval>
    let resources: Store<CloudResource>
    let model: ModelHolder
    let settings: TaggingSettings
    let events: EventRecorder?
    let now: @Sendable () -> Date
    let logger: Logger
    let concurrency: Int
    let updater: ResourceStatusUpdater

    /// - Parameters:
    ///   - concurrency: CloudResource writes in flight for one approval.
    ///   - conflictAttempts: writes of one resource (re-reading after each 409) before the reconcile fails and retries later.
    public init(
        client: KubeClient, approvals: Store<TagApproval>, resources: Store<CloudResource>, model: ModelHolder,
        settings: TaggingSettings, events: EventRecorder?, now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger = Logger(label: "vtag.approvals"), concurrency: Int = 8, conflictAttempts: Int = 5
    ) {
        self.client = client
        self.approvals = approvals
        self.resources = resources
        self.model = model
        self.settings = settings
        self.events = events
        self.now = now
        self.logger = logger
        self.concurrency = max(1, concurrency)
        self.updater = ResourceStatusUpdater(client: client, resources: resources, attempts: max(1, conflictAttempts))
    }

    /// Reconciles the cached approval `key` (what the controller calls); a gone approval needs nothing: what
    /// it carried out stays on the resources.
    public func reconcile(_ key: ObjectKey) async throws -> ReconcileResult {
        let reconcile = CachedObjectReconcile(approvals) { try await self.decide($0) }
        return try await reconcile(key)
    }

    /// Waits for a decision (or expires the approval), or carries the decision out where it is not yet.
    func decide(_ approval: TagApproval) async throws -> ReconcileResult {
        guard let decision = approval.status?.decision else { return try await awaitDecision(approval) }

        let done: ApprovalPhase = decision == .approved ? .applied : .denied
        let effect = DecisionEffect(approval: approval, decision: decision, now: now())
        if approval.status?.phase == done && approval.status?.observedGeneration == approval.metadata.generation
            && !hasWorkLeft(effect, approval) {
            return .done
        }
        try await carryOut(effect, of: approval)
        return .done
    }

    /// Whether a cached, listed, not excluded resource does not show the decision yet (e.g. a person
    /// took it out of `excluded`, or it was discovered again after being deleted). Reads only the cache.
    func hasWorkLeft(_ effect: DecisionEffect, _ approval: TagApproval) -> Bool {
        let namespace = approval.namespace ?? ""
        return targets(of: approval).contains { name in
            guard let resource = resources.get(name: name, namespace: namespace), resource.metadata.deletionTimestamp == nil else {
                return false
            }
            if case .write = effect.change(resource) { return true }
            return false
        }
    }

    /// The listed resources the decision is for: all but the excluded.
    func targets(of approval: TagApproval) -> [String] {
        let excluded = Set(approval.status?.excluded ?? [])
        return approval.spec.resources.map(\.name).filter { !excluded.contains($0) }
    }

    // MARK: Undecided

    func awaitDecision(_ approval: TagApproval) async throws -> ReconcileResult {
        if approval.status?.phase == .expired { return .done }
        let now = self.now()
        let created = approval.metadata.creationTimestamp ?? now
        let expiry = created.addingTimeInterval(settings.approvalTTL.inSeconds)
        guard now < expiry else {
            let changed = try await writeStatus(approval, phase: .expired, appliedCount: nil, conditions: [
                condition(approval, VTag.ConditionType.decided, false, "Expired",
                          "nobody decided within \(Self.describe(settings.approvalTTL)); the suggestion lapsed"),
            ])
            if changed {
                events?.record(approval, reason: "ApprovalExpired",
                               message: "no decision within \(Self.describe(settings.approvalTTL)): \(approval.spec.key)=\(approval.spec.value) was not applied")
            }
            return .done
        }
        try await writeStatus(approval, phase: .pending, appliedCount: nil, conditions: [
            condition(approval, VTag.ConditionType.decided, false, "AwaitingDecision",
                      "waiting for a person to approve or deny; expires at \(KubeTime.format(expiry))"),
        ])
        let remaining = expiry.timeIntervalSince(now)
        return .requeue(after: .milliseconds(max(1000, Int64((remaining * 1000).rounded(.up)))))
    }

    // MARK: Decided

    /// What happened on the listed resources.
    struct Tally: Sendable {
        var written: [String] = []
        var already = 0
        var skipped: [String: String] = [:]
        var failed: [String: String] = [:]
        var carrying: Int { written.count + already }
    }

    func carryOut(_ effect: DecisionEffect, of approval: TagApproval) async throws {
        let decision = effect.decision
        let targets = targets(of: approval)
        let tally = await apply(effect, to: targets, namespace: approval.namespace ?? "")

        let decided = condition(approval, VTag.ConditionType.decided, true, decision.rawValue, effect.reasonText)
        let summary = Self.summary(tally, excluded: approval.spec.resources.count - targets.count)
        if !tally.failed.isEmpty {
            // Record the progress so far (the decision is being carried out), then let the queue retry.
            var conditions = [decided]
            if decision == .approved {
                conditions.append(condition(approval, VTag.ConditionType.applied, false, "ApplyPending", summary))
            }
            try await writeStatus(approval, phase: decision == .approved ? .approved : approval.status?.phase ?? .pending,
                                  appliedCount: decision == .approved ? tally.carrying : approval.status?.appliedCount,
                                  conditions: conditions)
            throw ReconcileError.approvalIncomplete(approval: "\(approval.namespace ?? "")/\(approval.name)", failed: tally.failed)
        }

        let tag = "\(approval.spec.key)=\(approval.spec.value)"
        switch decision {
        case .approved:
            let changed = try await writeStatus(approval, phase: .applied, appliedCount: tally.carrying, conditions: [
                decided, condition(approval, VTag.ConditionType.applied, true, "Applied", summary),
            ])
            if changed || !tally.written.isEmpty {
                events?.record(approval, reason: "TagsApplied", message: "\(tag): \(summary)")
            }
        case .denied:
            let changed = try await writeStatus(approval, phase: .denied, appliedCount: nil, conditions: [decided])
            if changed || !tally.written.isEmpty {
                events?.record(approval, reason: "TagsRejected", message: "\(tag) denied: \(summary)")
            }
        }
        logger.info("approval decision carried out", metadata: [
            "approval": "\(approval.namespace ?? "")/\(approval.name)", "decision": "\(decision.rawValue)", "tag": "\(tag)",
            "written": "\(tally.written.count)", "already": "\(tally.already)", "skipped": "\(tally.skipped.count)",
        ])
    }

    /// One target's answer in `apply`'s task group. A named struct, never a tuple: Swift 6.3.1 release
    /// builds miscompile tuple child results (docs/ARCHITECTURE.md, "Release builds").
    struct TargetWrite: Sendable {
        let name: String
        let result: Result<ResourceStatusUpdater.Outcome, any Error>
    }

    /// Writes the decision on every target, `concurrency` at a time, and feeds the model for each write.
    func apply(_ effect: DecisionEffect, to targets: [String], namespace: String) async -> Tally {
        await withTaskGroup(of: TargetWrite.self, returning: Tally.self) { group in
            var tally = Tally()
            var next = targets.makeIterator()
            func launch() -> Bool {
                guard let name = next.next() else { return false }
                group.addTask { [updater] in
                    do {
                        return TargetWrite(name: name, result: .success(try await updater.update(name: name, namespace: namespace) { effect.change($0) }))
                    } catch {
                        return TargetWrite(name: name, result: .failure(error))
                    }
                }
                return true
            }
            for _ in 0..<concurrency where !launch() { break }
            while let reply = await group.next() {
                let name = reply.name
                switch reply.result {
                case .success(.written(let resource)):
                    tally.written.append(name)
                    learn(effect, from: resource)
                case .success(.alreadyDone): tally.already += 1
                case .success(.skipped(let why)): tally.skipped[name] = why
                case .success(.notFound): tally.skipped[name] = "not found"
                case .failure(let error):
                    tally.failed[name] = "\(error)"
                    logger.warning("could not record an approval decision on a resource", metadata: [
                        "resource": "\(namespace)/\(name)", "approval": "\(effect.approval)", "error": "\(error)",
                    ])
                }
                _ = launch()
            }
            return tally
        }
    }

    /// One decision about one resource, as a positive (approved) or negative (denied) example.
    func learn(_ effect: DecisionEffect, from resource: CloudResource) {
        var known: [String: String] = [:]
        for tag in resource.status?.virtualTags ?? [] { known[tag.key] = tag.value }
        let spec = resource.spec
        model.update { m in
            m.learn(decision: effect.decision == .approved, key: effect.key, value: effect.value,
                    features: m.features(spec: spec, known: known))
        }
    }

    // MARK: Status of the approval

    /// Merge-patches the operator's fields of the approval's status (never the person's), and only
    /// when they change. Returns whether it wrote.
    @discardableResult
    func writeStatus(_ approval: TagApproval, phase: ApprovalPhase, appliedCount: Int?, conditions: [Condition]) async throws -> Bool {
        let current = approval.status
        var merged = current?.conditions
        for c in conditions { merged.set(c) }
        let generation = approval.metadata.generation
        if current?.phase == phase && current?.appliedCount == appliedCount && current?.conditions == merged
            && current?.observedGeneration == generation {
            return false
        }
        var fields: [String: JSONValue] = [
            "phase": .string(phase.rawValue),
            "conditions": try JSONValue.from(merged ?? []),
            "appliedCount": appliedCount.map { .int(Int64($0)) } ?? .null,
        ]
        if let generation { fields["observedGeneration"] = .int(generation) }
        let api = CacheAwareApi(client: client, namespace: approval.namespace ?? "", cache: approvals)
        do {
            try await api.patchStatus(approval.name, .merge(.object(["status": .object(fields)])))
            return true
        } catch let error as KubeClientError where error.isNotFound {
            // Deleted since the cache saw it (the tagger deletes a pending approval it emptied): nothing to keep.
            logger.debug("approval gone before its status was written", metadata: ["approval": "\(approval.namespace ?? "")/\(approval.name)"])
            return false
        }
    }

    func condition(_ approval: TagApproval, _ type: String, _ ok: Bool, _ reason: String, _ message: String) -> Condition {
        Condition(type: type, status: ok ? .true : .false, observedGeneration: approval.metadata.generation,
                  lastTransitionTime: now(), reason: reason, message: message)
    }

    static func summary(_ tally: Tally, excluded: Int) -> String {
        var parts = ["\(tally.written.count) resource(s) updated"]
        if tally.already > 0 { parts.append("\(tally.already) already up to date") }
        if excluded > 0 { parts.append("\(excluded) excluded") }
        if !tally.skipped.isEmpty {
            let sample = tally.skipped.sorted { $0.key < $1.key }.prefix(3).map { "\($0.key): \($0.value)" }.joined(separator: "; ")
            parts.append("\(tally.skipped.count) skipped (\(sample)\(tally.skipped.count > 3 ? "; …" : ""))")
        }
        if !tally.failed.isEmpty { parts.append("\(tally.failed.count) failed, retrying") }
        return parts.joined(separator: ", ")
    }

    static func describe(_ d: Duration) -> String {
        let s = Int(d.inSeconds)
        if s % 86400 == 0 && s > 0 { return "\(s / 86400)d" }
        if s % 3600 == 0 && s > 0 { return "\(s / 3600)h" }
        if s % 60 == 0 && s > 0 { return "\(s / 60)m" }
        return "\(s)s"
    }
}
