import Foundation
import TaggingAPI

/// What a person's decision on a TagApproval does to one CloudResource's status. Pure, so the
/// rules (idempotence, manual tags win, bounded lists) are checked without a server.
struct DecisionEffect: Sendable {
    var approval: String
    var key: String
    var value: String
    var decision: ApprovalDecision
    /// Who decided (`status.decidedBy`), "unknown" when not recorded.
    var user: String
    /// Why (`status.reason`), if given.
    var why: String?
    var now: Date

    init(approval: TagApproval, decision: ApprovalDecision, now: Date) {
        self.approval = approval.name
        self.key = approval.spec.key
        self.value = approval.spec.value
        self.decision = decision
        let by = approval.status?.decidedBy?.trimmingCharacters(in: .whitespaces) ?? ""
        self.user = by.isEmpty ? "unknown" : by
        let why = approval.status?.reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        self.why = why.isEmpty ? nil : why
        self.now = now
    }

    enum Change: Equatable {
        /// Write this status.
        case write(CloudResourceStatus)
        /// The resource already reflects the decision (a repeat reconcile).
        case alreadyDone
        /// The decision cannot be applied here; the reason is for the log and the approval's message.
        case skipped(String)
    }

    /// `approval/NAME by USER`, the history actor the contract fixes.
    var actor: String { "approval/\(approval) by \(user)" }

    /// "approved by USER: REASON" (or "denied by ..."), within the schema's 1024 characters.
    var reasonText: String {
        let verb = decision == .approved ? "approved" : "denied"
        let text = why.map { "\(verb) by \(user): \($0)" } ?? "\(verb) by \(user)"
        return text.count > 1024 ? String(text.prefix(1023)) + "…" : text
    }

    func change(_ resource: CloudResource) -> Change {
        change(resource.status, manualTags: resource.spec.manualTags)
    }

    func change(_ current: CloudResourceStatus?, manualTags: [String: String]? = nil) -> Change {
        decision == .approved ? approve(current, manualTags: manualTags) : deny(current)
    }

    /// Adds (or replaces) the key's virtual tag with the approved value, source approval.
    func approve(_ current: CloudResourceStatus?, manualTags: [String: String]?) -> Change {
        // A person's own tag on the key wins over every other source, a decision included; an empty
        // manual value means they removed the key on purpose.
        if let manual = manualTags?[key] {
            return .skipped(manual.trimmingCharacters(in: .whitespaces).isEmpty
                ? "\(key) removed by hand (spec.manualTags)" : "manual tag \(key)=\(manual) wins")
        }
        var status = current ?? CloudResourceStatus()
        var tags = status.virtualTags ?? []
        let index = tags.firstIndex { $0.key == key }
        if let index {
            let existing = tags[index]
            // Approved already (by this approval or another one of the same value): nothing to do.
            if existing.source == .approval && existing.value == value { return .alreadyDone }
            if existing.source == .manual { return .skipped("manual tag \(key)=\(existing.value) wins") }
        } else if tags.count >= CloudResourceStatus.virtualTagsLimit {
            return .skipped("already has \(CloudResourceStatus.virtualTagsLimit) virtual tags")
        }
        let tag = VirtualTag(key: key, value: value, source: .approval, confidence: 1.0, approval: approval,
                             reason: reasonText, appliedAt: now)
        let old = index.map { tags[$0].value }
        if let index { tags[index] = tag } else { tags.append(tag) }
        status.virtualTags = tags
        appendHistory(&status, TagHistoryEntry(time: now, action: old == nil ? .applied : .changed, key: key,
                                               old: old, new: value, actor: actor))
        return .write(status)
    }

    /// Records the denied value in `rejected`, so it is never suggested again for this resource.
    func deny(_ current: CloudResourceStatus?) -> Change {
        var status = current ?? CloudResourceStatus()
        var rejected = status.rejected ?? []
        if rejected.contains(where: { $0.key == key && $0.value == value }) { return .alreadyDone }
        rejected.append(RejectedTag(key: key, value: value, approval: approval, reason: reasonText, rejectedAt: now))
        // The schema bounds the list; the oldest denial goes first (it may then be suggested again).
        if rejected.count > CloudResourceStatus.rejectedLimit { rejected.removeFirst(rejected.count - CloudResourceStatus.rejectedLimit) }
        status.rejected = rejected
        appendHistory(&status, TagHistoryEntry(time: now, action: .rejected, key: key, new: value, actor: actor))
        return .write(status)
    }

    private func appendHistory(_ status: inout CloudResourceStatus, _ entry: TagHistoryEntry) {
        var history = status.history ?? []
        history.append(entry)
        if history.count > CloudResourceStatus.historyLimit { history.removeFirst(history.count - CloudResourceStatus.historyLimit) }
        status.history = history
    }
}
