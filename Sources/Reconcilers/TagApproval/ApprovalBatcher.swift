import Foundation
import K8sClient
import KubeCore
import Logging
import Metrics
import Synchronization
import TaggingAPI

/// One suggestion group: every resource for which the same (key, value, source, rule) is suggested, in
/// one namespace. Its approvals are chunks named by `ApprovalNaming`.
public struct ApprovalGroup: Sendable, Hashable, CustomStringConvertible {
    public var namespace: String
    public var key: String
    public var value: String
    public var source: TagSource
    public var rule: String?

    public init(namespace: String, key: String, value: String, source: TagSource, rule: String?) {
        self.namespace = namespace
        self.key = key
        self.value = value
        self.source = source
        // Only a rule suggestion names a rule (the CRD requires it then, and the group is per rule).
        self.rule = source == .rule ? rule : nil
    }

    public var hash: String { ApprovalNaming.groupHash(key: key, value: value, source: source, rule: rule) }
    public func name(chunk: Int) -> String { ApprovalNaming.name(key: key, value: value, source: source, rule: rule, chunk: chunk) }
    public var description: String { "\(namespace)/\(key)=\(value) (\(source.rawValue)\(rule.map { " rule \($0)" } ?? ""))" }

    /// The value a resource is filed under in `ApprovalBatcher.memberIndex`.
    func memberIndexValue(_ resource: String) -> String { ApprovalBatcher.memberValue(namespace: namespace, hash: hash, resource: resource) }
}

/// What the tagger wants one resource's approval listings to be after its last evaluation: every group
/// its inference suggests now. Filed with the batcher, which writes the difference later.
public struct SuggestionWant: Sendable {
    /// One suggested group, and whether the resource may be added to it (false: a person denied the value,
    /// or it does not fit the schema; a listing it has stays, no new one is made).
    public struct Suggestion: Sendable {
        public var entry: ApprovalResource
        public var addable: Bool

        public init(entry: ApprovalResource, addable: Bool) {
            self.entry = entry
            self.addable = addable
        }
    }

    public var namespace: String
    public var resource: String
    public var suggested: [ApprovalGroup: Suggestion]
    /// Without a model (not loaded yet after a start) listings in model groups are kept: their absence says nothing.
    public var modelLoaded: Bool

    public init(namespace: String, resource: String, suggested: [ApprovalGroup: Suggestion], modelLoaded: Bool) {
        self.namespace = namespace
        self.resource = resource
        self.suggested = suggested
        self.modelLoaded = modelLoaded
    }

    var key: ObjectKey { ObjectKey(namespace: namespace, name: resource) }
}

/// Writes the suggestions of all tagger workers into TagApprovals, in the background and in batches.
///
/// A tagger worker files what its resource wants (`file`) and goes on: it never waits for a TagApproval
/// write. The batcher's loop (`run`, a leader runnable) collects filings until `linger` passes without a
/// new one (or `maxLinger` after the first), then writes everything filed meanwhile in one round (`flush`),
/// so a group's approval is written once per round with all its new resources, not once per resource, and
/// a first discovery, whose filings keep coming while its resources are evaluated, makes few rounds. A later filing for the same resource replaces an
/// unwritten one (the newest evaluation wins).
///
/// A round computes from the cache what each filed resource needs: withdrawals from pending approvals of
/// groups no longer suggested, additions to suggested groups that do not list it yet (in any phase: a
/// decided listing is never repeated). It writes every withdrawal first, then the additions, so a
/// suggestion moving to another group is never in two pending approvals of one key, not even for a moment;
/// a resource whose withdrawal failed is not added this round. One round at a time; groups within a round
/// in parallel, each group in one writer (create the next chunk, or append to a pending chunk with room,
/// guarded by resourceVersion; a conflict re-reads and places again). Names are deterministic, so a
/// restart finds the approvals it made.
///
/// Nothing is lost: a resource whose write failed (the server unreachable, contention) is fired on
/// `retry`, which the CloudResource controller reconciles on, so it is evaluated and filed again. A write
/// the API server refuses as invalid (e.g. a key the TagApproval schema does not allow) is logged and
/// dropped: retrying cannot help. Filings not yet written when the leader stops are recomputed by the next
/// leader, which evaluates every resource at start.
///
/// Writes go through `CacheAwareApi`, so the cache shows them at once, deletions included: an approval
/// the batcher deleted (or found gone) is no listing any more, and its name can be used again at once
/// (the late DELETED event of the old object does not touch the new one).
public actor ApprovalBatcher {
    /// Approvals filed by group member: `namespace \0 group hash \0 resource name`.
    public static let memberIndex = "vtag-approval-member"

    /// Approvals filed by listed resource: `namespace \0 resource name`.
    public static let resourceIndex = "vtag-approval-resource"

    static func memberValue(namespace: String, hash: String, resource: String) -> String {
        "\(namespace)\u{0}\(hash)\u{0}\(resource)"
    }

    static func resourceValue(namespace: String, resource: String) -> String { "\(namespace)\u{0}\(resource)" }

    enum Change: Sendable {
        case add(ApprovalResource)
        case withdraw(String)

        var resource: String {
            switch self {
            case .add(let r): return r.name
            case .withdraw(let name): return name
            }
        }
    }

    /// What one round does to one resource.
    struct Plan: Sendable {
        var withdrawals: [ApprovalGroup] = []
        var additions: [ApprovalGroup: ApprovalResource] = [:]
        var isEmpty: Bool { withdrawals.isEmpty && additions.isEmpty }
    }

    /// The resources one group's write failed for (a named struct: a task group's child result).
    struct GroupOutcome: Sendable {
        var failed: [ObjectKey] = []
    }

    let client: KubeClient
    let approvals: Store<TagApproval>
    /// How long the loop waits for a further filing before a round.
    public nonisolated let linger: Duration
    /// How long the loop collects filings at most before a round, however many keep coming.
    public nonisolated let maxLinger: Duration
    /// Groups written at once within a round.
    nonisolated let concurrency: Int
    let logger: Logger
    /// Resources added to a TagApproval, by the suggestion's source (`vtag_suggestions_total`).
    let suggestedCounters: [TagSource: Counter]
    /// Resources taken out of pending approvals because their suggestion changed.
    let withdrawnCounter: Counter
    /// The batcher's own writes, until their watch echo: the TagApproval controller does not reconcile a
    /// pending approval again because the batcher added a resource to it (see `TagApprovalReconciler.register`).
    public nonisolated let ownWrites = OwnWrites()
    /// Fired with the CloudResources whose suggestions could not be written (the CloudResource controller
    /// reconciles on it, so they are filed again).
    public nonisolated let retry = ReconcileTrigger()
    private nonisolated let filed = Locked<[ObjectKey: SuggestionWant]>([:])
    /// Filings so far (the loop tells from it whether filings are still coming).
    private nonisolated let filings = Atomic<Int>(0)
    private nonisolated let wakeups: AsyncStream<Void>
    private nonisolated let wake: AsyncStream<Void>.Continuation
    private var flushing = false
    private var flushWaiters: [CheckedContinuation<Void, Never>] = []

    public init(
        client: KubeClient, approvals: Store<TagApproval>, linger: Duration = .seconds(1), maxLinger: Duration = .seconds(10),
        concurrency: Int = 4, logger: Logger = Logger(label: "vtag.approvals.batcher")
    ) {
        self.client = client
        self.approvals = approvals
        self.linger = linger
        self.maxLinger = max(linger, maxLinger)
        self.concurrency = max(1, concurrency)
        self.logger = logger
        var suggested: [TagSource: Counter] = [:]
        for source in TagSource.allCases {
            suggested[source] = Counter(label: "vtag_suggestions_total", dimensions: [("source", source.rawValue)])
        }
        suggestedCounters = suggested
        withdrawnCounter = Counter(label: "vtag_suggestions_withdrawn_total")
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        approvals.addIndex(Self.memberIndex) { approval in
            let hash = ApprovalNaming.groupHash(of: approval.spec)
            let ns = approval.metadata.namespace ?? ""
            return approval.spec.resources.map { ApprovalBatcher.memberValue(namespace: ns, hash: hash, resource: $0.name) }
        }
        approvals.addIndex(Self.resourceIndex) { approval in
            let ns = approval.metadata.namespace ?? ""
            return approval.spec.resources.map { ApprovalBatcher.resourceValue(namespace: ns, resource: $0.name) }
        }
    }

    /// The cached approvals that list `resource` (any group, any phase).
    public nonisolated func approvals(listing resource: String, namespace: String) -> [TagApproval] {
        approvals.byIndex(Self.resourceIndex, Self.resourceValue(namespace: namespace, resource: resource))
    }

    /// Whether `resource` is listed in any approval of `group` (from the cache).
    public nonisolated func isListed(_ resource: String, in group: ApprovalGroup) -> Bool {
        !approvals.keys(index: Self.memberIndex, value: group.memberIndexValue(resource)).isEmpty
    }

    /// Filings not written yet.
    public nonisolated var pendingCount: Int { filed.withLock { $0.count } }

    // MARK: Filing

    /// Files what the resource wants; returns at once. Nothing is filed when the cache already shows it
    /// (no other filing of it is waiting): the common case of a re-evaluation that changed nothing.
    public nonisolated func file(_ want: SuggestionWant) {
        let settled = plan(want).isEmpty
        let key = want.key
        let filedNow = filed.withLock { f -> Bool in
            guard !settled || f[key] != nil else { return false }
            f[key] = want
            return true
        }
        if filedNow {
            filings.add(1, ordering: .relaxed)
            wake.yield()
        }
    }

    /// What the cache says a round must write for `want`.
    nonisolated func plan(_ want: SuggestionWant) -> Plan {
        var plan = Plan()
        for (group, suggestion) in want.suggested where suggestion.addable && !isListed(want.resource, in: group) {
            plan.additions[group] = suggestion.entry
        }
        var stale = Set<ApprovalGroup>()
        for approval in approvals(listing: want.resource, namespace: want.namespace) where Self.isPending(approval) {
            let group = ApprovalGroup(
                namespace: want.namespace, key: approval.spec.key, value: approval.spec.value, source: approval.spec.source,
                rule: approval.spec.rule)
            if want.suggested[group] == nil, want.modelLoaded || group.source != .model { stale.insert(group) }
        }
        plan.withdrawals = stale.sorted { $0.description < $1.description }
        return plan
    }

    // MARK: Writing

    /// The loop: after a filing, waits until `linger` passes without another (at most `maxLinger`), then
    /// writes a round. Returns when cancelled.
    public nonisolated func run() async {
        var wakeups = self.wakeups.makeAsyncIterator()
        while !Task.isCancelled {
            guard await wakeups.next() != nil else { return }
            let first = ContinuousClock.now
            while true {
                let seen = filings.load(ordering: .relaxed)
                do { try await Task.sleep(for: linger) } catch { return }
                if filings.load(ordering: .relaxed) == seen || ContinuousClock.now - first + linger > maxLinger { break }
            }
            await flush()
        }
    }

    /// Writes everything filed so far in one round and returns once written (or fired on `retry`).
    public func flush() async {
        while flushing { await withCheckedContinuation { flushWaiters.append($0) } }
        flushing = true
        let wants = filed.withLock { f -> [SuggestionWant] in
            defer { f.removeAll() }
            return Array(f.values)
        }
        await write(wants)
        flushing = false
        if !flushWaiters.isEmpty { flushWaiters.removeFirst().resume() }
    }

    private func write(_ wants: [SuggestionWant]) async {
        var withdrawals: [ApprovalGroup: [Change]] = [:]
        var additions: [ApprovalGroup: [Change]] = [:]
        for want in wants {
            let plan = plan(want)
            for group in plan.withdrawals { withdrawals[group, default: []].append(.withdraw(want.resource)) }
            for (group, entry) in plan.additions { additions[group, default: []].append(.add(entry)) }
        }
        var failed = Set(await write(withdrawals))
        // A resource still listed where it should not be is not added elsewhere this round.
        if !failed.isEmpty {
            for group in Array(additions.keys) {
                additions[group]?.removeAll { failed.contains(ObjectKey(namespace: group.namespace, name: $0.resource)) }
            }
        }
        failed.formUnion(await write(additions))
        if !failed.isEmpty { retry.fire(failed.sorted()) }
    }

    /// Writes each group's changes (`concurrency` groups at once); returns the resources that failed.
    private nonisolated func write(_ changes: [ApprovalGroup: [Change]]) async -> [ObjectKey] {
        let work = changes.filter { !$0.value.isEmpty }.sorted { $0.key.description < $1.key.description }
        guard !work.isEmpty else { return [] }
        return await withTaskGroup(of: GroupOutcome.self, returning: [ObjectKey].self) { group in
            var failed: [ObjectKey] = []
            var next = work.makeIterator()
            var inFlight = 0
            while let (approvalGroup, groupChanges) = next.next() {
                if inFlight == concurrency, let outcome = await group.next() {
                    failed += outcome.failed
                    inFlight -= 1
                }
                group.addTask { await self.writeGroup(groupChanges, to: approvalGroup) }
                inFlight += 1
            }
            for await outcome in group { failed += outcome.failed }
            return failed
        }
    }

    private nonisolated func writeGroup(_ changes: [Change], to group: ApprovalGroup) async -> GroupOutcome {
        do {
            try await apply(changes, to: group)
            for change in changes {
                switch change {
                case .add: suggestedCounters[group.source]?.increment()
                case .withdraw: withdrawnCounter.increment()
                }
            }
            return GroupOutcome()
        } catch let error as KubeClientError where error.isInvalid {
            logger.warning("TagApproval refused; suggestions skipped", metadata: [
                "group": "\(group)", "resources": "\(changes.count)", "error": "\(error)",
            ])
            return GroupOutcome()
        } catch is CancellationError {
            // Stopping: the next leader evaluates every resource at start and files them again.
            return GroupOutcome()
        } catch {
            logger.info("TagApproval write failed; its resources are evaluated again", metadata: [
                "group": "\(group)", "resources": "\(changes.count)", "error": "\(error)",
            ])
            return GroupOutcome(failed: changes.map { ObjectKey(namespace: group.namespace, name: $0.resource) })
        }
    }

    /// Writes a batch of changes into the group's approvals: withdrawals first, then additions (lowest
    /// pending chunk with room first, then new chunks). Conflicts re-read the chunks and start over.
    nonisolated func apply(_ changes: [Change], to group: ApprovalGroup) async throws {
        let api = CacheAwareApi(client: client, namespace: group.namespace, cache: approvals, ownWrites: ownWrites)
        let hash = group.hash
        var additions: [ApprovalResource] = []
        var withdrawals = Set<String>()
        for change in changes {
            switch change {
            case .add(let r): additions.append(r)
            case .withdraw(let name): withdrawals.insert(name)
            }
        }
        var attempts = 0
        while true {
            // Recomputed on every attempt: a re-read may show some of them listed (or unlisted) already.
            var edits: [String: Set<String>] = [:]
            for name in withdrawals {
                for approval in approvals.byIndex(Self.memberIndex, group.memberIndexValue(name))
                where Self.isPending(approval) {
                    edits[approval.name, default: []].insert(name)
                }
            }
            var seen = Set<String>()
            var pending = additions.filter { seen.insert($0.name).inserted && !isListed($0.name, in: group) }
            if pending.isEmpty && edits.isEmpty { return }
            attempts += 1
            if attempts > 8 {
                throw ReconcileError.approvalContention(group: group.description)
            }
            var chunk = 0
            do {
                for (name, names) in edits.sorted(by: { $0.key < $1.key }) {
                    guard var approval = approvals.get(name: name, namespace: group.namespace) else { continue }
                    approval.spec.resources.removeAll { names.contains($0.name) }
                    if approval.spec.resources.isEmpty {
                        // The schema wants at least one resource: an approval with none left goes, guarded by
                        // its version so a decision written meanwhile keeps it.
                        try await api.delete(name, DeleteParams(preconditions: .init(resourceVersion: approval.metadata.resourceVersion)))
                    } else {
                        try await api.replace(approval)
                    }
                }
                while !pending.isEmpty {
                    let name = group.name(chunk: chunk)
                    chunk += 1
                    if let existing = approvals.get(name: name, namespace: group.namespace) {
                        // A same-named object of another group (a hash collision) is left alone.
                        guard ApprovalNaming.groupHash(of: existing.spec) == hash, Self.hasRoom(existing) else { continue }
                        let take = min(TagApproval.maxResources - existing.spec.resources.count, pending.count)
                        var updated = existing
                        updated.spec.resources.append(contentsOf: pending.prefix(take))
                        try await api.replace(updated)
                        pending.removeFirst(take)
                    } else {
                        let take = min(TagApproval.maxResources, pending.count)
                        let approval = TagApproval(
                            metadata: ObjectMeta(name: name, namespace: group.namespace, labels: [
                                VTag.Label.approvalGroup: hash, VTag.Label.managedBy: "vtag",
                            ]),
                            spec: TagApprovalSpec(
                                key: group.key, value: group.value, source: group.source, rule: group.rule,
                                resources: Array(pending.prefix(take))))
                        try await api.create(approval)
                        pending.removeFirst(take)
                    }
                }
                return
            } catch let error as KubeClientError where error.isConflict || error.isAlreadyExists {
                // Our cache was behind (a restart, another writer): read the chunks again and start over.
                try await refresh(group, upTo: max(chunk, 1), also: Array(edits.keys), api: api)
            } catch let error as KubeClientError where error.isNotFound {
                // Deleted by someone else meanwhile: the writer took its copy out of the cache; start over.
            }
        }
    }

    /// Re-reads the group's chunks `0..<upTo` (and the named approvals) from the server into the cache
    /// (one no longer there leaves it).
    private nonisolated func refresh(_ group: ApprovalGroup, upTo: Int, also: [String], api: CacheAwareApi<TagApproval>) async throws {
        var names = (0..<max(1, upTo)).map { group.name(chunk: $0) }
        for n in also where !names.contains(n) { names.append(n) }
        for name in names {
            try await api.refresh(name)
        }
    }

    /// Undecided: no decision, phase unset or Pending, not being deleted.
    public static func isPending(_ approval: TagApproval) -> Bool {
        let phase = approval.status?.phase
        return approval.metadata.deletionTimestamp == nil && approval.status?.decision == nil && (phase == nil || phase == .pending)
    }

    /// A pending approval (no decision, phase unset or Pending, not being deleted) with room for more.
    static func hasRoom(_ approval: TagApproval) -> Bool {
        isPending(approval) && approval.spec.resources.count < TagApproval.maxResources
    }
}
