import Foundation
import Inference
import KubeCore
import TaggingAPI

/// Turns an inference result into a CloudResource status, keeping what must survive re-evaluation:
/// `appliedAt` of unchanged values, approval refs and reasons of approved values, `rejected`, history,
/// condition transition times. Pure: the same inputs give the same status, so an unchanged resource
/// compares equal and costs no write.
public enum TagStatus {
    /// What changed in the virtual tags, for history and the Event.
    public struct Change: Sendable, Hashable {
        public var action: TagHistoryEntry.Action
        public var key: String
        public var old: String?
        public var new: String?
        public var actor: String
        /// The source of the new value (of the old one for a removal).
        public var source: TagSource
    }

    /// The status the tagger wants, and the tag changes it makes. `evaluatedAt` is left as it was: the
    /// caller compares without it and sets it only when it writes.
    public static func build(
        current: CloudResourceStatus?, result: InferenceResult, spec: CloudResourceSpec, generation: Int64?, now: Date,
        requiredKeys: [String]
    ) -> (status: CloudResourceStatus, changes: [Change]) {
        var status = current ?? CloudResourceStatus()
        let before = status.virtualTags ?? []
        var beforeByKey: [String: VirtualTag] = [:]
        for t in before { beforeByKey[t.key] = t }

        var applied: [VirtualTag] = []
        var changes: [Change] = []
        for t in result.tags where t.decision == .apply && fitsSchema(t) {
            let old = beforeByKey[t.key]
            var tag = t.virtualTag()
            tag.reason = bounded(tag.reason, 1024)
            if t.source == .approval, let old, old.source == .approval {
                // The approval reconciler wrote this entry: keep its ref and its (richer) reason.
                tag.approval = old.approval
                if old.value == t.value { tag.reason = old.reason }
            }
            if let old, old.value == t.value {
                tag.appliedAt = old.appliedAt ?? now
            } else {
                tag.appliedAt = now
                changes.append(Change(
                    action: old == nil ? .applied : .changed, key: t.key, old: old?.value, new: t.value, actor: actor(of: tag),
                    source: tag.source))
            }
            applied.append(tag)
        }
        let kept = Set(applied.map(\.key))
        let removedByPerson = Set((spec.manualTags ?? [:]).filter { $0.value.trimmingCharacters(in: .whitespaces).isEmpty }.keys)
        for old in before where !kept.contains(old.key) {
            changes.append(Change(
                action: .removed, key: old.key, old: old.value, new: nil,
                actor: removedByPerson.contains(old.key) ? "manual" : actor(of: old), source: old.source))
        }
        applied.sort { $0.key < $1.key }
        if applied.count > CloudResourceStatus.virtualTagsLimit { applied.removeLast(applied.count - CloudResourceStatus.virtualTagsLimit) }
        status.virtualTags = applied

        if !changes.isEmpty {
            var history = status.history ?? []
            for c in changes.sorted(by: { $0.key < $1.key }) {
                history.append(TagHistoryEntry(time: now, action: c.action, key: c.key, old: c.old, new: c.new, actor: c.actor))
            }
            if history.count > CloudResourceStatus.historyLimit { history.removeFirst(history.count - CloudResourceStatus.historyLimit) }
            status.history = history
        }

        // Inference's missing keys, plus required keys whose value was left out above.
        let dropped = Set(result.tags.filter { $0.decision == .apply && !fitsSchema($0) }.map(\.key))
        let missing = dropped.isEmpty ? result.missingKeys : requiredKeys.filter { result.missingKeys.contains($0) || dropped.contains($0) }
        status.missingKeys = Array(missing.prefix(CloudResourceStatus.missingKeysLimit))
        var conditions = status.conditions ?? []
        conditions.set(Condition(
            type: VTag.ConditionType.tagged, status: applied.isEmpty ? .false : .true, observedGeneration: generation,
            lastTransitionTime: now, reason: applied.isEmpty ? "NoTags" : "TagsApplied",
            message: applied.isEmpty ? "no virtual tag could be applied" : "\(applied.count) virtual tag(s) applied"))
        conditions.set(Condition(
            type: VTag.ConditionType.compliant, status: missing.isEmpty ? .true : .false, observedGeneration: generation,
            lastTransitionTime: now, reason: missing.isEmpty ? "AllRequiredKeys" : "MissingKeys",
            message: missing.isEmpty ? "every required key has a value" : "missing required keys: " + missing.joined(separator: ", ")))
        status.conditions = conditions
        status.modelVersion = result.modelVersion
        status.observedGeneration = generation
        // The tagger evaluates only resources discovery sees (a vanished one is left as it is), so the
        // first evaluation is where an active resource's phase is written: `kubectl get cres` shows it.
        if status.phase == nil { status.phase = .active }
        return (status, changes)
    }

    /// How far a learned tag's confidence may drift before it is worth a write of its own (see `needsWrite`).
    public static let confidenceDrift = 0.05

    /// Whether `new` is worth a status write over `old`, apart from the periodic refresh. Not worth one: a new
    /// model version alone (every learned decision makes one), and a model's drift on a tag it keeps (same key,
    /// value, learned source (model or inherited) and appliedAt, confidence within `confidenceDrift`, the reason's
    /// counts reworded). A retraining on a grown estate would otherwise rewrite most resources for the numbers in
    /// their reasons; those are refreshed with the next real change or within `--reevaluate-interval`.
    public static func needsWrite(_ new: CloudResourceStatus, over old: CloudResourceStatus?) -> Bool {
        guard let old else { return true }
        var new = new
        new.modelVersion = old.modelVersion
        if let newTags = new.virtualTags, let oldTags = old.virtualTags, newTags != oldTags, newTags.count == oldTags.count,
           zip(newTags, oldTags).allSatisfy({ isDrift($0, from: $1) }) {
            new.virtualTags = oldTags
        }
        return new != old
    }

    /// The same learned tag (the model's, or inherited from a resource whose tag may be the model's), only its confidence (within `confidenceDrift`) and reason moved.
    static func isDrift(_ new: VirtualTag, from old: VirtualTag) -> Bool {
        if new == old { return true }
        guard new.source == old.source, new.source == .model || new.source == .inherited, new.key == old.key, new.value == old.value,
              new.appliedAt == old.appliedAt, new.rule == old.rule, new.approval == old.approval else { return false }
        return abs(new.confidence - old.confidence) < confidenceDrift
    }

    /// Whether the API server would take the tag (the CRD's maxLength of key and value). A value a rule
    /// template made too long is left out rather than failing the whole status write on every retry.
    public static func fitsSchema(_ t: InferredTag) -> Bool {
        let k = t.key.unicodeScalars.count, v = t.value.unicodeScalars.count
        return k >= 1 && k <= 128 && v <= 256
    }

    /// `text` cut to at most `limit` characters (the CRD's maxLength), marked with an ellipsis when cut.
    public static func bounded(_ text: String, _ limit: Int) -> String {
        guard text.unicodeScalars.count > limit else { return text }
        var view = String.UnicodeScalarView(text.unicodeScalars.prefix(limit - 1))
        view.append("…")
        return String(view)
    }

    /// Who set a tag, in the history's words: `rule/NAME`, `model`, `native`, `inherited`, `manual`, `approval/NAME`.
    public static func actor(of tag: VirtualTag) -> String {
        switch tag.source {
        case .rule: return "rule/\(tag.rule ?? "unknown")"
        case .approval: return "approval/\(tag.approval ?? "unknown")"
        default: return tag.source.rawValue
        }
    }

    /// A short summary of the changes for an Event message.
    public static func summary(_ changes: [Change], limit: Int = 8) -> String {
        let parts = changes.prefix(limit).map { c -> String in
            switch c.action {
            case .applied: return "\(c.key)=\(c.new ?? "") (\(c.actor))"
            case .changed: return "\(c.key): \(c.old ?? "") -> \(c.new ?? "") (\(c.actor))"
            case .removed: return "removed \(c.key)=\(c.old ?? "")"
            case .rejected: return "rejected \(c.key)=\(c.old ?? "")"
            case .writtenBack: return "wrote \(c.key)=\(c.new ?? "") onto the resource"
            }
        }
        let more = changes.count > limit ? " and \(changes.count - limit) more" : ""
        return parts.joined(separator: ", ") + more
    }
}
