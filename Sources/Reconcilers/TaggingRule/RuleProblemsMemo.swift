import K8sClient
import KubeCore
import TaggingAPI

/// The problems last found in each rule, with the spec they were found in: a rule is compiled again only when
/// its spec changes. The rule controller reconciles a rule each time its matched count moves, many times a
/// second while a first discovery is evaluated, and compiling the rule each time cost 1 % of the operator's CPU.
final class RuleProblemsMemo: Sendable {
    private struct Entry {
        var spec: TaggingRuleSpec
        var problems: [String]
    }

    private let entries = Locked<[ObjectKey: Entry]>([:])

    /// The problems of `rule`: remembered when its spec is the one they were found in, else `find(rule)`.
    func problems(of rule: TaggingRule, find: (TaggingRule) -> [String]) -> [String] {
        let key = ObjectKey(rule)
        if let entry = entries.withLock({ $0[key] }), entry.spec == rule.spec { return entry.problems }
        let problems = find(rule)
        entries.withLock { $0[key] = Entry(spec: rule.spec, problems: problems) }
        return problems
    }

    /// A rule gone from the cache: a rule made again under its name is compiled afresh.
    func forget(_ key: ObjectKey) {
        entries.withLock { _ = $0.removeValue(forKey: key) }
    }
}
