import Foundation
import TaggingAPI

/// A resource another one relates to, as inference needs it.
public struct RelatedResource: Sendable, Hashable {
    /// Its applied tags (canonical key -> value).
    public var tags: [String: String]
    public var name: String?

    public init(tags: [String: String], name: String? = nil) {
        self.tags = tags
        self.name = name
    }
}

/// The deterministic part of a resource's tags (manual, approved, rules, native), before inheritance and
/// the model. Its applied values are what related resources inherit and what the model learns from.
public struct ResolvedTags: Sendable {
    public var tags: [String: InferredTag]
    public var audits: [InferredTag]
    public var matchedRules: [String]
    /// Keys a person removed with an empty manual value: nothing fills them.
    public var removed: Set<String>
    /// Folded rejected values per key.
    var rejected: [String: Set<String>]

    /// Applied values, canonical key -> value.
    public var known: [String: String] {
        var out: [String: String] = [:]
        for (k, t) in tags where t.decision == .apply { out[k] = t.value }
        return out
    }
}

/// Decides, for each key of a resource, at most one value with a confidence, a source, a decision and
/// a reason. Order of trust: manual > approval > rule (by priority) > native > inherited > model; a rule
/// replaces a native value only with `override`. Pure and deterministic.
public struct TagInferencer: Sendable {
    public let config: InferenceConfig
    public let rules: RuleSet
    public let model: TagModel?
    public let normaliser: TagNormaliser

    public init(config: InferenceConfig = .default, rules: RuleSet = .empty, model: TagModel? = nil,
                vocabulary: ValueVocabulary? = nil) {
        self.config = config
        self.rules = rules
        self.model = model
        self.normaliser = TagNormaliser(
            tables: config.normalisation, vocabulary: vocabulary ?? model?.vocabulary ?? ValueVocabulary(),
            requiredKeys: config.requiredKeys)
    }

    /// Everything for one resource. `parent` returns a related resource by id (its applied tags, see
    /// `ResolvedTags.known`, and its name), or nil when it is unknown.
    public func infer(_ input: InferenceInput, parent: (String) -> RelatedResource? = { _ in nil }) -> InferenceResult {
        complete(resolve(input), input: input, parent: parent)
    }

    // MARK: Stage 1: manual, approval, rules, native

    public func resolve(_ input: InferenceInput, ruleCandidates: [Int]? = nil) -> ResolvedTags {
        let thresholds = config.thresholds
        var rejected: [String: Set<String>] = [:]
        for r in input.rejected { rejected[r.key, default: []].insert(Fold.fold(normaliser.canonicalValue(r.value, key: r.key))) }
        let hasRejections = !rejected.isEmpty
        func isRejected(_ key: String, _ value: String) -> Bool {
            hasRejections && (rejected[key]?.contains(Fold.fold(value)) ?? false)
        }

        var tags: [String: InferredTag] = [:]
        var removed = Set<String>()
        if let manual = input.spec.manualTags {
            for (key, value) in manual {
                let k = normaliser.tables.canonicalKey(key)
                let v = value.trimmingCharacters(in: .whitespaces)
                if v.isEmpty { removed.insert(k); continue }
                tags[k] = InferredTag(key: k, value: v, confidence: SourceConfidence.manual, source: .manual, decision: .apply,
                                      reason: "set by a person (manualTags \(key)=\(value))")
            }
        }
        for (key, value) in input.approved where tags[key] == nil && !removed.contains(key) {
            tags[key] = InferredTag(key: key, value: value, confidence: SourceConfidence.approval, source: .approval,
                                    decision: .apply, reason: "approved by a person")
        }

        let native = normaliser.normalise(input.spec.nativeTags)
        var view: [String: String] = [:]
        view.reserveCapacity(native.count + tags.count)
        for (k, t) in native { view[k] = t.value }
        for (k, t) in tags { view[k] = t.value }
        for k in removed { view[k] = nil }

        // Rule hits per key, in decision order (priority, then name). Few keys: a list, not a dictionary.
        var audits: [InferredTag] = []
        var matched: [String] = []
        var hitsByKey: [(key: String, hits: [RuleTagHit])] = []
        let evaluations = rules.evaluate(
            input.spec, tags: view, rawNative: input.spec.nativeTags, candidates: ruleCandidates,
            canonical: { [normaliser] key, value in normaliser.canonicalValue(value, key: key) })
        for e in evaluations {
            matched.append(rules.rules[e.rule].name)
            for var h in e.hits {
                h.value = normaliser.canonicalValue(h.value, key: h.key)
                if h.mode == .audit {
                    audits.append(InferredTag(
                        key: h.key, value: h.value, confidence: h.confidence, source: .rule, decision: .audit,
                        reason: Text.join("audit rule ", h.rule, " (priority ", String(h.priority), ") would set it from ", h.origin),
                        rule: h.rule))
                } else if let j = hitsByKey.firstIndex(where: { $0.key == h.key }) {
                    hitsByKey[j].hits.append(h)
                } else {
                    hitsByKey.append((h.key, [h]))
                }
            }
        }

        for (key, hits) in hitsByKey where tags[key] == nil && !removed.contains(key) {
            let usable = hasRejections ? hits.filter { !isRejected(key, $0.value) } : hits
            guard let winner = usable.first else { continue }
            let decision: TagDecision
            switch winner.mode {
            case .apply: decision = thresholds.decision(for: winner.confidence)
            case .suggest: decision = winner.confidence >= thresholds.suggest ? .suggest : .discard
            case .audit: decision = .audit
            }
            if decision == .discard { continue }
            if let n = native[key], !winner.override, !isRejected(key, n.value) {
                tags[key] = nativeTag(n, note: Text.join(
                    "; rule ", winner.rule, " (priority ", String(winner.priority), ") would set ", winner.value,
                    " but does not override native values"))
                continue
            }
            var reason = Text.join(
                "rule ", winner.rule, " (priority ", String(winner.priority), ", ", winner.mode.rawValue, ") set it from ", winner.origin)
            let losers = usable.dropFirst().filter { $0.rule != winner.rule }
            if !losers.isEmpty {
                let named = losers.prefix(3).map { "\($0.rule) (priority \($0.priority)) wanted \($0.value)" }
                reason += "; won over " + named.joined(separator: ", ") + (losers.count > 3 ? " and \(losers.count - 3) more" : "")
            }
            if let n = native[key], winner.override { reason += "; overrides native \(n.nativeKey)=\(n.nativeValue)" }
            tags[key] = InferredTag(key: key, value: winner.value, confidence: winner.confidence, source: .rule,
                                    decision: decision, reason: reason, rule: winner.rule)
        }

        for (key, n) in native where tags[key] == nil && !removed.contains(key) && !isRejected(key, n.value) {
            tags[key] = nativeTag(n, note: "")
        }
        if audits.count > 1 { audits.sort { ($0.key, $0.rule ?? "") < ($1.key, $1.rule ?? "") } }
        if matched.count > 1 { matched.sort() }
        return ResolvedTags(tags: tags, audits: audits, matchedRules: matched, removed: removed, rejected: rejected)
    }

    private func nativeTag(_ n: NormalisedTag, note: String) -> InferredTag {
        let what = n.nativeKey == n.key && n.nativeValue == n.value
            ? Text.join("native tag ", n.key, "=", n.value, note)
            : Text.join("native tag ", n.nativeKey, "=", n.nativeValue, " normalised to ", n.key, "=", n.value, note)
        let confidence = SourceConfidence.native
        return InferredTag(key: n.key, value: n.value, confidence: confidence, source: .native,
                           decision: config.thresholds.decision(for: confidence), reason: what)
    }

    // MARK: Stage 2: inheritance, model, missing keys

    public func complete(_ resolved: ResolvedTags, input: InferenceInput, parent: (String) -> RelatedResource?) -> InferenceResult {
        var tags = resolved.tags
        let thresholds = config.thresholds
        func isRejected(_ key: String, _ value: String) -> Bool { resolved.rejected[key]?.contains(Fold.fold(value)) ?? false }

        func isOpen(_ key: String) -> Bool {
            !resolved.removed.contains(key) && (tags[key].map { $0.decision == .discard } ?? true)
        }
        if config.requiredKeys.contains(where: isOpen) {
            let open = config.requiredKeys.filter(isOpen)
            // Parents in policy order, looked up once.
            let policy = config.inheritance
            var related: [(relation: String, id: String, resource: RelatedResource)] = []
            for r in input.spec.relations ?? [] {
                let wanted = policy.relations[r.type] != nil || (model != nil && ResourceFeatures.nameRelations.contains(r.type))
                if wanted, let p = parent(r.target) { related.append((r.type, r.target, p)) }
            }
            let parents = related.count <= 1 ? related : policy.order.flatMap { type in related.filter { $0.relation == type } }
            var features: ResourceFeatures?
            for key in open {
                var candidate: InferredTag?
                for p in parents {
                    guard let rule = policy.passes(p.relation, key: key), let value = p.resource.tags[key], !isRejected(key, value)
                    else { continue }
                    let confidence = model?.inheritance.confidence(relation: p.relation, key: key, ceiling: rule.confidence)
                        ?? rule.confidence
                    candidate = InferredTag(
                        key: key, value: value, confidence: confidence, source: .inherited,
                        decision: thresholds.decision(for: confidence),
                        reason: "inherited from \(p.id) (\(p.relation)), which has \(key)=\(value)", parent: p.id)
                    break
                }
                if candidate == nil || candidate?.decision == .discard, let model {
                    if features == nil {
                        features = model.features(
                            spec: input.spec, known: resolved.known,
                            relatedNames: related.compactMap { ResourceFeatures.nameRelations.contains($0.relation) ? $0.resource.name : nil })
                    }
                    let excluded = resolved.rejected[key].map { folded in
                        Set(model.keys[key]?.values.filter { folded.contains(Fold.fold($0)) } ?? [])
                    } ?? []
                    if let p = model.predict(key: key, features: features!, excluding: excluded) {
                        let evidence = p.evidence.map(Self.describe).joined(separator: ", ")
                        let predicted = InferredTag(
                            key: key, value: p.value, confidence: p.confidence, source: .model,
                            decision: thresholds.decision(for: p.confidence),
                            reason: "model \(model.version): resources like this (\(evidence)) have \(key)=\(p.value)")
                        if candidate == nil || predicted.confidence > candidate!.confidence { candidate = predicted }
                    }
                }
                if let candidate, tags[key] == nil || candidate.confidence > tags[key]!.confidence { tags[key] = candidate }
            }
        }

        let missing = config.requiredKeys.filter { tags[$0]?.decision != .apply }
        return InferenceResult(
            tags: tags.values.sorted { $0.key < $1.key }, audits: resolved.audits, missingKeys: missing,
            matchedRules: resolved.matchedRules, modelVersion: model?.version)
    }

    /// A model feature in words: `w:payments` -> `name word "payments"`.
    static func describe(_ feature: String) -> String {
        guard let colon = feature.firstIndex(of: ":") else { return feature }
        let v = feature[feature.index(after: colon)...]
        switch feature[..<colon] {
        case "w": return "name word \"\(v)\""
        case "f": return "name starting \"\(v)\""
        case "b": return "name words \"\(String(v.map { $0 == "_" ? " " : $0 }))\""
        case "t": return "type \(v)"
        case "s": return "service \(v)"
        case "a": return "account \(v)"
        case "r": return "region \(v)"
        case "p": return "provider \(v)"
        case "g": return "tag \(v)"
        default: return feature
        }
    }
}
