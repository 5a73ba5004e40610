/// Deterministic TagApproval names and group labels, so that a restarted operator finds the approvals it
/// created before and never creates a second one for the same suggestion.
///
/// A group is one suggestion: (key, value, source, rule). Its approvals are chunks `0, 1, 2, ...` of at
/// most `TagApproval.maxResources` resources each, named `<key>-<value>-<hash10>-<chunk>` (readable parts
/// sanitised and shortened so the whole name fits 63 characters), and labelled
/// `vtag.dev/approval-group: <hash10>` so `kubectl get tap -l vtag.dev/approval-group=...` lists a group.
public enum ApprovalNaming {
    public static let maxLength = 63

    /// The group's hash: 10 hex digits of FNV-1a 64 over the group's fields (a valid label value).
    public static func groupHash(key: String, value: String, source: TagSource, rule: String?) -> String {
        // Unit separators keep ("a-b", "c") and ("a", "b-c") apart.
        ResourceNaming.hex10(ResourceNaming.fnv1a64("\(key)\u{1F}\(value)\u{1F}\(source.rawValue)\u{1F}\(rule ?? "")"))
    }

    /// The group hash of an existing approval, computed from its spec (not from its label, which people can edit).
    public static func groupHash(of spec: TagApprovalSpec) -> String {
        groupHash(key: spec.key, value: spec.value, source: spec.source, rule: spec.rule)
    }

    /// The name of chunk `chunk` (0, 1, 2, ...) of a group: DNS-safe, at most 63 characters, never empty
    /// in its readable part (falls back to `tag`).
    public static func name(key: String, value: String, source: TagSource, rule: String?, chunk: Int) -> String {
        let hash = groupHash(key: key, value: value, source: source, rule: rule)
        let suffix = "-\(hash)-\(max(0, chunk))"
        let budget = maxLength - suffix.count
        var k = ResourceNaming.sanitize(key)
        var v = ResourceNaming.sanitize(value)
        // Share the budget: the value is usually the informative part, but each keeps at least a third.
        if k.count + 1 + v.count > budget {
            let keyShare = min(k.count, max(budget / 3, budget - 1 - v.count))
            k = String(k.prefix(keyShare))
            v = String(v.prefix(max(0, budget - 1 - k.count)))
        }
        while k.hasSuffix("-") { k.removeLast() }
        while v.hasSuffix("-") { v.removeLast() }
        let readable = [k, v].filter { !$0.isEmpty }.joined(separator: "-")
        return (readable.isEmpty ? "tag" : readable) + suffix
    }

    public static func name(of spec: TagApprovalSpec, chunk: Int) -> String {
        name(key: spec.key, value: spec.value, source: spec.source, rule: spec.rule, chunk: chunk)
    }
}
