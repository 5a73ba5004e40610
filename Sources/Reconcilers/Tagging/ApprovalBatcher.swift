import Foundation
import K8sClient
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
/// The approval cache learns of a deletion only when the watch delivers it, a moment later (the Store's
/// read-your-own-writes covers creates and updates, not deletes). Until then the batcher treats the
/// cached copy of an approval it deleted (or found gone) as gone: it is no listing (a suggestion coming
/// back to that group is written, not skipped), and its name is not reused (the late DELETED event would
/// take the new object of that name out of the cache, hiding a listing).
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
    /// Approvals known to be gone whose copy the cache may still hold, by key. A cached object that is
    /// that copy (same uid; without uids, a resourceVersion at or below) is ignored; another one is a new
    /// object of that name.
    private let gone = Mutex<[ObjectKey: GoneCopy]>([:])

    struct GoneCopy: Equatable {
        var uid: String?
        var version: String?

        func matches(_ cached: TagApproval) -> Bool {
            if let uid, let other = cached.metadata.uid { return uid == other }
            return !ResourceVersion.isOlder(version, than: cached.metadata.resourceVersion)
        }
    }
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

    /// The cached approvals that list `resource` (any group, any phase), without those known gone.
    public nonisolated func approvals(listing resource: String, namespace: String) -> [TagApproval] {
        approvals.byIndex(Self.resourceIndex, Self.resourceValue(namespace: namespace, resource: resource)).filter { !isGone($0) }
    }

    /// Whether `resource` is listed in any approval of `group` (from the cache, without those known gone).
    public nonisolated func isListed(_ resource: String, in group: ApprovalGroup) -> Bool {
        approvals.byIndex(Self.memberIndex, group.memberIndexValue(resource)).contains { !isGone($0) }
    }

    /// Whether a cached approval is a stale copy of one known gone (its DELETED event not yet cached).
    nonisolated func isGone(_ approval: TagApproval) -> Bool {
        gone.withLock { $0[ObjectKey(approval)]?.matches(approval) ?? false }
    }

    /// Records that the cached copy `approval` is gone from the server.
    private nonisolated func markGone(_ approval: TagApproval) {
        let copy = GoneCopy(uid: approval.metadata.uid, version: approval.metadata.resourceVersion)
        gone.withLock { $0[ObjectKey(approval)] = copy }
    }

    /// Forgets what the cache has caught up with: the object left it, or another one of that name is there.
    private nonisolated func pruneGone() {
        let known = gone.withLock { $0 }
        guard !known.isEmpty else { return }
        let caughtUp = known.filter { key, copy in approvals.get(key).map { !copy.matches($0) } ?? true }
        gone.withLock { gone in
            for (key, copy) in caughtUp where gone[key] == copy { gone[key] = nil }
        }
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
        let api = Api<TagApproval>(client: client, namespace: group.namespace)
        let hash = group.hash
        var additions: [ApprovalResource] = []
        var withdrawals = Set<String>()
        for change in changes {
            switch change {
            case .add(let r): additions.append(r)
            case .withdraw(let name): withdrawals.insert(name)
            }
        }
        pruneGone()
        var attempts = 0
        while true {
            // Recomputed on every attempt: a re-read may show some of them listed (or unlisted) already.
            var edits: [String: Set<String>] = [:]
            for name in withdrawals {
                for approval in approvals.byIndex(Self.memberIndex, group.memberIndexValue(name))
                where !isGone(approval) && Self.isPending(approval) {
                    edits[approval.name, default: []].insert(name)
                }
            }
            var seen = Set<String>()
            var pending = additions.filter { seen.insert($0.name).inserted && !isListed($0.name, in: group) }
            if pending.isEmpty && edits.isEmpty { return }
            attempts += 1
            if attempts > 8 {
                throw TaggerError.approvalContention(group: group.description)
            }
            var writing = ""
            var chunk = 0
            do {
                for (name, names) in edits.sorted(by: { $0.key < $1.key }) {
                    guard var approval = approvals.get(name: name, namespace: group.namespace), !isGone(approval) else { continue }
                    writing = name
                    approval.spec.resources.removeAll { names.contains($0.name) }
                    if approval.spec.resources.isEmpty {
                        // The schema wants at least one resource: an approval with none left goes, guarded by
                        // its version so a decision written meanwhile keeps it.
                        _ = try await api.delete(name, DeleteParams(preconditions: .init(resourceVersion: approval.metadata.resourceVersion)))
                        markGone(approval)
                    } else {
                        approvals.noteWrite(try await api.replace(approval))
                    }
                }
                while !pending.isEmpty {
                    let name = group.name(chunk: chunk)
                    chunk += 1
                    writing = name
                    if let existing = approvals.get(name: name, namespace: group.namespace) {
                        // Gone but still cached: not reused until the cache has caught up (see above).
                        // A same-named object of another group (a hash collision) is left alone.
                        guard !isGone(existing), ApprovalNaming.groupHash(of: existing.spec) == hash, Self.hasRoom(existing) else { continue }
                        let take = min(TagApproval.maxResources - existing.spec.resources.count, pending.count)
                        var updated = existing
                        updated.spec.resources.append(contentsOf: pending.prefix(take))
                        approvals.noteWrite(try await api.replace(updated))
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
                        approvals.noteWrite(try await api.create(approval))
                        pending.removeFirst(take)
                    }
                }
                return
            } catch let error as KubeError where error.isConflict || error.isAlreadyExists {
                // Our cache was behind (a restart, another writer): read the chunks again and start over.
                try await refresh(group, upTo: max(chunk, 1), also: Array(edits.keys), api: api)
            } catch let error as KubeError where error.isNotFound {
                // Deleted by someone else meanwhile: its cached copy is gone too.
                if let stale = approvals.get(name: writing, namespace: group.namespace) { markGone(stale) }
            }
        }
    }

    /// Re-reads the group's chunks `0..<upTo` (and the named approvals) from the server into the cache
    /// (one no longer there is marked gone).
    private nonisolated func refresh(_ group: ApprovalGroup, upTo: Int, also: [String], api: Api<TagApproval>) async throws {
        var names = (0..<max(1, upTo)).map { group.name(chunk: $0) }
        for n in also where !names.contains(n) { names.append(n) }
        for name in names {
            if let fresh = try await api.getOptional(name) {
                approvals.noteWrite(fresh)
            } else if let stale = approvals.get(name: name, namespace: group.namespace) {
                markGone(stale)
            }
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

/// Failures of the tagger a retry may fix, with what was going on.
public enum TaggerError: Error, CustomStringConvertible {
    case approvalContention(group: String)

    public var description: String {
        switch self {
        case .approvalContention(let group):
            return "could not add to the approvals of \(group): they kept changing while we wrote (retrying later)"
        }
    }
}
