import Foundation
import K8sClient
import KubeCore
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

/// Funnels the suggestions of all tagger workers into TagApproval writes, one group at a time.
///
/// Two changes go through it: adding a resource to its group (`suggest`) and withdrawing one from the
/// group's pending approvals when the suggestion changed (`withdraw`; an approval left empty is deleted).
///
/// Many resources of one group are evaluated concurrently; if each worker wrote the group's approval
/// itself, N workers would fight over one object (409 after 409). Instead a worker hands its resource
/// to the batcher and awaits the outcome: the first caller for a group becomes its writer, callers
/// arriving meanwhile wait, and the writer (or, after it, the first waiter) puts everything waiting into
/// the next single write (create the next chunk, or append to a pending chunk with room, guarded by
/// resourceVersion). A resource already listed in any approval of its group, whatever the phase, is never
/// added again; names are deterministic, so a restart finds the approvals it made (AlreadyExists or
/// Conflict: re-read and place again).
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

    private enum Outcome: Sendable { case written, lead }

    enum Change: Sendable {
        case add(ApprovalResource)
        case withdraw(String)
    }

    private struct Waiter {
        var change: Change
        /// nil for the writer's own resource.
        var continuation: CheckedContinuation<Outcome, any Error>?
    }

    let client: KubeClient
    let approvals: Store<TagApproval>
    /// The batcher's own writes, until their watch echo: the TagApproval controller does not reconcile a
    /// pending approval again because the batcher added a resource to it (see `TagApprovalReconciler.register`).
    public nonisolated let ownWrites = OwnWrites()
    private var writing = Set<ApprovalGroup>()
    private var waiting: [ApprovalGroup: [Waiter]] = [:]

    public init(client: KubeClient, approvals: Store<TagApproval>) {
        self.client = client
        self.approvals = approvals
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

    /// Adds `resource` to its group's approvals (unless listed already); returns once it is written.
    public func suggest(_ resource: ApprovalResource, in group: ApprovalGroup) async throws {
        try await submit(.add(resource), to: group)
    }

    /// Removes the resource named `resource` from the group's pending (undecided) approvals; returns once
    /// written. Decided approvals are records of a person's decision and are left as they are.
    public func withdraw(_ resource: String, from group: ApprovalGroup) async throws {
        try await submit(.withdraw(resource), to: group)
    }

    private func submit(_ change: Change, to group: ApprovalGroup) async throws {
        if writing.contains(group) {
            let outcome = try await withCheckedThrowingContinuation { c in
                waiting[group, default: []].append(Waiter(change: change, continuation: c))
            }
            if case .written = outcome { return }
            // .lead: the previous writer handed over; our entry is still in `waiting` (without continuation).
        } else {
            writing.insert(group)
            waiting[group, default: []].append(Waiter(change: change, continuation: nil))
        }
        let batch = waiting.removeValue(forKey: group) ?? []
        let result: Result<Void, any Error>
        do {
            try await apply(batch.map(\.change), to: group)
            result = .success(())
        } catch {
            result = .failure(error)
        }
        for w in batch { w.continuation?.resume(with: result.map { Outcome.written }) }
        // Hand the group to the first waiter (so no caller works for others for long), or close it.
        if var next = waiting[group], let first = next.first?.continuation {
            next[0].continuation = nil
            waiting[group] = next
            first.resume(returning: .lead)
        } else {
            waiting[group] = nil
            writing.remove(group)
        }
        try result.get()
    }

    /// Writes a batch of changes into the group's approvals: withdrawals first, then additions (lowest
    /// pending chunk with room first, then new chunks). Conflicts re-read the chunks and start over.
    private nonisolated func apply(_ changes: [Change], to group: ApprovalGroup) async throws {
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
