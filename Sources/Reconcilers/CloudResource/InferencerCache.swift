import KubeCore
import Inference
import K8sClient
import TaggingAPI

/// Each namespace's TaggingRules compiled once, rebuilt only when the namespace's rules change, and the
/// inferencer built on them, rebuilt only when the rules or the model version change.
///
/// A reconcile pays one read of the rules cache's `revision` while no rule changed. Only after a change is the
/// namespace's fingerprint (names, uids, generations; a spec change bumps the generation, a status write
/// does not) computed again, and the rules compiled again only when it moved. Rules that do not compile
/// are left out (the rule reconciler reports them).
final class InferencerCache: Sendable {
    private struct Entry {
        var seenChange: UInt64
        var fingerprint: Fingerprint
        var ruleSet: RuleSet
        var inferencer: TagInferencer
        var modelVersion: String?
    }

    struct Fingerprint: Hashable {
        var count: Int
        var hash: Int
    }

    private let entries = Locked<[String: Entry]>([:])
    /// One build at a time: after a model change every tagger worker (16 by default) would otherwise build the same
    /// inferencer at once, each with its own index of the model: a burst of tens of MiB when a first model comes.
    /// Held while building; counts the inferencers built (tests check that a change costs one build, no change none).
    private let building = Locked(0)
    var builds: Int { building.withLock { $0 } }
    let rules: Store<TaggingRule>
    let config: InferenceConfig

    init(rules: Store<TaggingRule>, config: InferenceConfig) {
        self.rules = rules
        self.config = config
    }

    /// The inferencer for `namespace` with `model` (the holder's current model).
    func inferencer(namespace: String, model: TagModel?) -> TagInferencer {
        // Loaded before reading the rules: a change after this load is seen by the next call.
        let change = rules.revision
        let version = model?.version
        if let ready = current(namespace, change: change, version: version) { return ready }
        return building.withLock { built in
            // Another worker may have built it while this one waited.
            if let ready = current(namespace, change: change, version: version) { return ready }
            return build(namespace: namespace, change: change, model: model, counting: &built)
        }
    }

    /// The cached inferencer for `namespace` if it is up to date with rules revision `change` and model `version`.
    private func current(_ namespace: String, change: UInt64, version: String?) -> TagInferencer? {
        let cached = entries.withLock { $0[namespace] }
        guard let cached, cached.seenChange == change, cached.modelVersion == version else { return nil }
        return cached.inferencer
    }

    private func build(namespace: String, change: UInt64, model: TagModel?, counting built: inout Int) -> TagInferencer {
        let version = model?.version
        let cached = entries.withLock { $0[namespace] }
        let list = rules.list(namespace: namespace).filter { $0.metadata.deletionTimestamp == nil }
        let fingerprint = Self.fingerprint(list)
        if let cached, cached.fingerprint == fingerprint, cached.modelVersion == version {
            entries.withLock { $0[namespace]?.seenChange = change }
            return cached.inferencer
        }
        // Built outside the entries' lock (readers of other namespaces go on), inside the build lock.
        let ruleSet = cached.flatMap { $0.fingerprint == fingerprint ? $0.ruleSet : nil }
            ?? RuleSet.compile(list, tables: config.normalisation).0
        let inferencer = TagInferencer(config: config, rules: ruleSet, model: model)
        built += 1
        entries.withLock {
            $0[namespace] = Entry(seenChange: change, fingerprint: fingerprint, ruleSet: ruleSet, inferencer: inferencer, modelVersion: version)
        }
        return inferencer
    }

    static func fingerprint(_ rules: [TaggingRule]) -> Fingerprint {
        // Order-independent: the store lists in no particular order.
        var combined = 0
        for r in rules {
            var h = Hasher()
            h.combine(r.metadata.name)
            h.combine(r.metadata.uid)
            if let generation = r.metadata.generation { h.combine(generation) } else { h.combine(r.spec) }
            combined = combined &+ h.finalize()
        }
        return Fingerprint(count: rules.count, hash: combined)
    }
}
