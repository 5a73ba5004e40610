import TaggingAPI

/// Inference over a whole estate: learning the vocabulary, inheritance agreement and model from it,
/// and inferring every resource with parents looked up inside the estate.
public enum EstateInference {
    /// Learns a model from the estate's known values (native, manual, approved, applied rules).
    public static func learn(
        _ inputs: [InferenceInput], config: InferenceConfig = .default, rules: RuleSet = .empty,
        options: TrainingOptions = TrainingOptions(), generation: Int = 1
    ) -> TagModel {
        // Each resource's deployment: the vocabulary finds former values by it, the dependencies are judged by other
        // deployments, and the model's held-out folds group by it.
        let groups = inputs.map { TrainingExample.groupHash(of: $0.spec) }
        let normaliser = TagNormaliser.learning(
            from: inputs.lazy.map { $0.spec.nativeTags }, tables: config.normalisation, requiredKeys: config.requiredKeys, groups: groups)
        let plain = TagInferencer(config: config, rules: rules, model: nil, vocabulary: normaliser.vocabulary)
        // Only the applied values are kept of stage 1, each as it is resolved: the estate's stage-1 results with
        // their reasons, all held at once, were the largest part of a training's memory. Resources repeat a few
        // combinations of values: each is held once (a dictionary per resource is about 0.3 KB), found by its
        // values in key order (one hasher over the list, where a dictionary hashes each entry with its own, and
        // no dictionary built for a combination seen before).
        var combinations: [[ValueVocabulary.KeyValue]: [String: String]] = [:]
        var applied: [ValueVocabulary.KeyValue] = []
        var known = resolveAll(inputs, inferencer: plain) { resolved -> [String: String] in
            applied.removeAll(keepingCapacity: true)
            let tags = resolved.tags.tags
            for i in tags.indices where tags[i].decision == .apply { applied.append(ValueVocabulary.KeyValue(key: tags[i].key, value: tags[i].value)) }
            if let seen = combinations[applied] { return seen }
            let values = resolved.known
            if combinations.count < 50_000 { combinations[applied] = values }
            return values
        }
        combinations = [:]
        var byId: [String: Int] = [:]
        byId.reserveCapacity(inputs.count)
        for (i, input) in inputs.enumerated() { byId[input.spec.id] = i }

        var stats = InheritanceStats()
        let required = config.requiredKeys
        for (i, input) in inputs.enumerated() {
            guard let relations = input.spec.relations else { continue }
            for r in relations {
                guard config.inheritance.relations[r.type] != nil, let p = byId[r.target] else { continue }
                for key in required {
                    guard config.inheritance.passes(r.type, key: key) != nil,
                          let mine = known[i][key], let theirs = known[p][key] else { continue }
                    stats.record(relation: r.type, key: key, agrees: Fold.fold(mine) == Fold.fold(theirs))
                }
            }
        }

        let lexicon = NameLexicon.learn(names: inputs.lazy.map { $0.spec.name })
        let dependencies = KeyDependencies.learn(
            from: known, keys: required, accounts: inputs.map { $0.spec.account ?? $0.spec.id }, groups: groups, folds: options.folds)
        // Each resource's features numbered as they are read: the estate's features are never all held as strings.
        var set = TrainingSet(keys: required, folds: options.folds)
        // Resources repeat a few combinations of values: each is relabelled once.
        var relabelled: [[String: String]: [String: String]] = [:]
        for i in inputs.indices {
            let spec = inputs[i].spec
            let labels = known[i].filter { required.contains($0.key) }
            let relabel: [String: String]
            if let done = relabelled[labels] {
                relabel = done
            } else {
                relabel = dependencies.relabelled(labels)
                if relabelled.count < 20_000 { relabelled[labels] = relabel }
            }
            // The name read once for its features (its group was hashed from its words above).
            let name = spec.name.map(NameTokenizer.read)
            set.append(
                ResourceFeatures(spec: spec, knownTags: known[i], lexicon: lexicon,
                                 relatedNames: relatedNames(spec, byId: byId, inputs: inputs), name: name),
                labels: relabel, groupHash: groups[i],
                account: spec.account ?? spec.id)
        }
        let nameSlots = NameSlots.learn(
            names: inputs.lazy.map { $0.spec.name }, lexicon: lexicon, known: known, envWords: NameSlots.envWords(config.normalisation))
        // Let go of what only the training set needed before the model's training, the peak of a training's memory:
        // the id table alone is 6.3 MB at 100,000 resources (a dictionary's table doubles past 98,304 entries).
        byId = [:]
        relabelled = [:]
        known = []
        var model = TagModel.train(
            set, options: options, vocabulary: normaliser.vocabulary, inheritance: stats, lexicon: lexicon, generation: generation)
        model.dependencies = dependencies
        model.tellingWords = TellingWords.learn(set, dependencies: dependencies)
        model.namedValues = NamedValues.learn(set)
        model.accountValues = AccountValues.learn(set)
        model.nameSlots = nameSlots
        return model
    }

    static func relatedNames(_ spec: CloudResourceSpec, byId: [String: Int], inputs: [InferenceInput]) -> [String] {
        guard let relations = spec.relations else { return [] }
        return relations.compactMap { r in
            guard ResourceFeatures.nameRelations.contains(r.type), let p = byId[r.target] else { return nil }
            return inputs[p].spec.name
        }
    }

    /// Infers every resource; relations to resources of the same estate pass tags along.
    public static func infer(_ inputs: [InferenceInput], inferencer: TagInferencer) -> [InferenceResult] {
        let resolved = resolveAll(inputs, inferencer: inferencer)
        var knownById: [String: Int] = [:]
        knownById.reserveCapacity(inputs.count)
        for i in inputs.indices { knownById[inputs[i].spec.id] = i }
        var cache: [Int: RelatedResource] = [:]
        var results: [InferenceResult] = []
        results.reserveCapacity(inputs.count)
        // Read through buffers: an element passed from an array is copied (each of its strings retained and
        // released), one borrowed from a buffer is not.
        inputs.withUnsafeBufferPointer { inputs in
            resolved.withUnsafeBufferPointer { resolved in
                for i in inputs.indices {
                    results.append(inferencer.complete(resolved[i], input: inputs[i]) { id in
                        guard let p = knownById[id] else { return nil }
                        if let cached = cache[p] { return cached }
                        let r = RelatedResource(tags: resolved[p].known, name: inputs[p].spec.name)
                        cache[p] = r
                        return r
                    })
                }
            }
        }
        return results
    }

    /// Stage 1 for every resource, with the rule candidates looked up once per (provider, type, account).
    static func resolveAll(_ inputs: [InferenceInput], inferencer: TagInferencer) -> [ResolvedTags] {
        resolveAll(inputs, inferencer: inferencer) { $0 }
    }

    /// Stage 1 for every resource, keeping only what `keep` takes of each result.
    static func resolveAll<Kept>(_ inputs: [InferenceInput], inferencer: TagInferencer, keep: (ResolvedTags) -> Kept) -> [Kept] {
        var candidates: [CandidateKey: [Int]] = [:]
        let memo = inferencer.memo()
        var resolved: [Kept] = []
        resolved.reserveCapacity(inputs.count)
        // Read through a buffer, not copied per element (see `infer`).
        inputs.withUnsafeBufferPointer { inputs in
            for i in inputs.indices {
                let key = CandidateKey(provider: inputs[i].spec.provider, type: inputs[i].spec.type, account: inputs[i].spec.account)
                let c: [Int]
                if let cached = candidates[key] {
                    c = cached
                } else {
                    c = inferencer.rules.candidates(provider: key.provider, type: key.type, account: key.account)
                    candidates[key] = c
                }
                resolved.append(keep(inferencer.resolve(inputs[i], ruleCandidates: c, memo: memo)))
            }
        }
        return resolved
    }

    /// What decides a resource's rule candidates (hashed as is: no key string built per resource).
    struct CandidateKey: Hashable {
        var provider: String
        var type: String
        var account: String?
    }
}
