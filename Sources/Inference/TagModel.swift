import TaggingAPI

/// A resource whose values for some keys are known, as the model learns from it.
public struct TrainingExample: Sendable {
    /// The resource's id.
    public var id: String
    public var features: ResourceFeatures
    /// Canonical key -> known value.
    public var labels: [String: String]
    /// Resources of one group share a held-out fold (default: the id). Grouping near-identical siblings
    /// (an instance, its volumes, its database) keeps the calibration from learning on look-alikes.
    public var group: String
    /// Resources of one account share a fold of the second scheme (default: the id). Held out a whole
    /// account at a time, the model meets resources it knows nothing owner-specific about, as it does
    /// with the resources of teams that never tag (see `FoldCounts`).
    public var account: String

    public init(id: String, features: ResourceFeatures, labels: [String: String], group: String? = nil, account: String? = nil) {
        self.id = id
        self.features = features
        self.labels = labels
        self.group = group ?? id
        self.account = account ?? id
    }

    /// The default group of a resource: its account, region and the first two words of its name
    /// (the resources of one deployment usually share them).
    public static func group(of spec: CloudResourceSpec) -> String {
        let words = spec.name.map { NameTokenizer.tokens($0).prefix(2).joined(separator: "-") } ?? ""
        return "\(spec.account ?? "")|\(spec.region ?? "")|\(words)"
    }

    /// `FNV.hash(group(of: spec))`, hashed piece by piece instead of building the string (training needs
    /// only the group's fold).
    static func groupHash(of spec: CloudResourceSpec) -> UInt64 {
        groupHash(of: spec, nameTokens: spec.name.map(NameTokenizer.tokens) ?? [])
    }

    /// `groupHash(of:)` of a resource whose name's `NameTokenizer.tokens` are `nameTokens`.
    static func groupHash(of spec: CloudResourceSpec, nameTokens: [String]) -> UInt64 {
        var h = FNV.hash("")
        FNV.add(spec.account ?? "", to: &h)
        FNV.add("|", to: &h)
        FNV.add(spec.region ?? "", to: &h)
        FNV.add("|", to: &h)
        for (i, w) in nameTokens.prefix(2).enumerated() {
            if i > 0 { FNV.add("-", to: &h) }
            FNV.add(w, to: &h)
        }
        return h
    }
}

/// What the model predicts for one key of one resource.
public struct ModelPrediction: Sendable, Hashable {
    public var value: String
    /// Calibrated: of predictions at this confidence, about this share were right on held-out data.
    public var confidence: Double
    /// The features that pulled most towards the value, e.g. `w:payments`, `a:123456789012`.
    public var evidence: [String]
    /// No name word or tag points mostly at the value: the guess rests on where the resource lives (see
    /// `AccountGuesses`).
    public var restsOnAccount: Bool = false
}

/// The learned model: one naive Bayes table per key, the estate's value vocabulary, and how often
/// related resources agree. Versioned, Codable (stored in a ConfigMap), trains incrementally.
public struct TagModel: Sendable {
    /// Bumped when the stored shape changes; a model of another format is retrained, not read.
    public static let format = 1

    /// Increases with every change, so a CloudResource's `modelVersion` says which model tagged it.
    public private(set) var generation: Int
    public private(set) var keys: [String: KeyModel]
    public var vocabulary: ValueVocabulary
    public var inheritance: InheritanceStats
    /// Words of the estate's names; features must be built with it (`features(spec:known:relatedNames:)`).
    public var lexicon: NameLexicon
    /// Keys that determine others (team -> cost-center), learned from the estate (see `KeyDependencies`).
    public var dependencies: KeyDependencies
    /// Name words that on their own say a key's value (`prd` -> env=production: see `TellingWords`).
    public var tellingWords: TellingWords
    /// Values a resource's name carries (`feature-store` in `ml-platform-feature-store-stg-lb`: see `NamedValues`).
    public var namedValues: NamedValues
    /// Values an account's tagged resources agree on (team `checkout` in account 776691377401: see `AccountValues`).
    public var accountValues: AccountValues
    /// How often the words where the estate's names put the application were it (see `NameSlots`).
    public var nameSlots: NameSlots

    public init(generation: Int = 0, keys: [String: KeyModel] = [:], vocabulary: ValueVocabulary = ValueVocabulary(),
                inheritance: InheritanceStats = InheritanceStats(), lexicon: NameLexicon = NameLexicon(),
                dependencies: KeyDependencies = KeyDependencies(), tellingWords: TellingWords = TellingWords(),
                namedValues: NamedValues = NamedValues(), accountValues: AccountValues = AccountValues(),
                nameSlots: NameSlots = NameSlots()) {
        self.generation = generation
        self.nameSlots = nameSlots
        self.accountValues = accountValues
        self.dependencies = dependencies
        self.tellingWords = tellingWords
        self.namedValues = namedValues
        self.keys = keys
        self.vocabulary = vocabulary
        self.inheritance = inheritance
        self.lexicon = lexicon
    }

    /// The features of a resource as this model reads them.
    public func features(spec: CloudResourceSpec, known: [String: String], relatedNames: [String] = []) -> ResourceFeatures {
        ResourceFeatures(spec: spec, knownTags: known, lexicon: lexicon, relatedNames: relatedNames)
    }

    public var version: String { "v\(Self.format).\(generation)" }

    /// The same model under another generation (a model trained while decisions moved the installed one on
    /// must stay ahead of it), everything it learned kept.
    public func numbered(_ generation: Int) -> TagModel {
        var copy = self
        copy.generation = generation
        return copy
    }

    /// Trains from scratch on `examples` for `keys` (all keys seen when nil).
    public static func train(
        _ examples: [TrainingExample], keys: [String]? = nil, options: TrainingOptions = TrainingOptions(),
        vocabulary: ValueVocabulary = ValueVocabulary(), inheritance: InheritanceStats = InheritanceStats(),
        lexicon: NameLexicon = NameLexicon(), generation: Int = 1
    ) -> TagModel {
        let wanted = keys ?? Array(Set(examples.flatMap { $0.labels.keys })).sorted()
        return train(TrainingSet(examples, keys: wanted, folds: options.folds), options: options, vocabulary: vocabulary,
                     inheritance: inheritance, lexicon: lexicon, generation: generation)
    }

    /// Trains from scratch on a training set, a model for each of its keys some example has a value of. Two
    /// held-out schemes: by deployment, and by account (see `TrainingSet`).
    static func train(
        _ set: TrainingSet, options: TrainingOptions, vocabulary: ValueVocabulary, inheritance: InheritanceStats,
        lexicon: NameLexicon, generation: Int
    ) -> TagModel {
        var models: [String: KeyModel] = [:]
        for (k, key) in set.keys.enumerated() where !set.values[k].isEmpty {
            models[key] = KeyModelTrainer(key: key, options: options).train(set, key: k)
        }
        return TagModel(generation: generation, keys: models, vocabulary: vocabulary, inheritance: inheritance, lexicon: lexicon)
    }

    /// Learns one more resource's known values (incremental: counts only; the calibration is kept
    /// until the next full training).
    public mutating func learn(_ example: TrainingExample) {
        for (key, value) in example.labels.sorted(by: { $0.key < $1.key }) where !value.isEmpty {
            let features = example.features.features(for: key)
            if keys[key] == nil { keys[key] = KeyModel.empty }
            keys[key]!.learn(features: features, value: value, weight: 1)
        }
        generation += 1
    }

    /// A person's decision on a suggested value: approved is a positive example, denied a negative one.
    /// (The denied value is also never suggested again for that resource: see `InferenceInput.rejected`.)
    public mutating func learn(decision approved: Bool, key: String, value: String, features: ResourceFeatures) {
        if keys[key] == nil {
            guard approved else { return }
            keys[key] = KeyModel.empty
        }
        keys[key]!.learn(features: features.features(for: key), value: value, weight: approved ? 1 : -1)
        generation += 1
    }

    /// The best value for `key` that is not in `excluded`, with its calibrated confidence.
    public func predict(key: String, features: ResourceFeatures, excluding excluded: Set<String> = []) -> ModelPrediction? {
        guard let model = keys[key] else { return nil }
        let list = features.features(for: key)
        // Each feature looked up once, for the ranking and the evidence.
        return Self.predict(key: key, model: model, features: features, list: list, ids: list.map { model.featureIndex[$0] ?? -1 },
                       excluding: excluded)
    }

    /// `predict(key:features:excluding:)` for features already looked up: `list` is `features.features(for: key)`,
    /// `ids` their indices in `model` (see `ModelFeatureIndex`).
    static func predict(key: String, model: KeyModel, features: ResourceFeatures, list: [String], ids: [Int32],
                        excluding excluded: Set<String>) -> ModelPrediction? {
        guard let ranking = model.rank(ids: ids, list, opaqueName: features.opaqueName, excluded: excluded), ranking.known > 0
        else { return nil }
        return ModelPrediction(
            value: model.values[ranking.best], confidence: model.confidence(ranking, hasTags: features.hasTags(besides: key)),
            evidence: model.evidence(ids: ids, list, value: ranking.best),
            restsOnAccount: ranking.ownPurity < AccountGuesses.ownEvidence)
    }
}

extension KeyModel {
    static var empty: KeyModel {
        KeyModel(values: [], docs: [], totals: [], featureNames: [], postings: [],
                 calibrations: [], pooled: IsotonicCalibration())
    }
}

extension TagModel: Codable {
    enum CodingKeys: String, CodingKey { case format, generation, keys, vocabulary, inheritance, lexicon, dependencies, tellingWords, namedValues, accountValues, nameSlots }
    struct KeyEntry: Codable {
        var key: String
        var model: KeyModel
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.format, forKey: .format)
        try c.encode(generation, forKey: .generation)
        try c.encode(keys.sorted { $0.key < $1.key }.map { KeyEntry(key: $0.key, model: $0.value) }, forKey: .keys)
        try c.encode(vocabulary, forKey: .vocabulary)
        try c.encode(inheritance, forKey: .inheritance)
        try c.encode(lexicon.words.sorted(), forKey: .lexicon)
        try c.encode(dependencies, forKey: .dependencies)
        try c.encode(tellingWords, forKey: .tellingWords)
        try c.encode(namedValues, forKey: .namedValues)
        try c.encode(accountValues, forKey: .accountValues)
        try c.encode(nameSlots, forKey: .nameSlots)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let format = try c.decode(Int.self, forKey: .format)
        guard format == Self.format else {
            throw DecodingError.dataCorruptedError(
                forKey: .format, in: c,
                debugDescription: "stored model has format \(format), this build reads format \(Self.format); retrain the model")
        }
        generation = try c.decode(Int.self, forKey: .generation)
        keys = Dictionary(uniqueKeysWithValues: try c.decode([KeyEntry].self, forKey: .keys).map { ($0.key, $0.model) })
        vocabulary = try c.decode(ValueVocabulary.self, forKey: .vocabulary)
        inheritance = try c.decode(InheritanceStats.self, forKey: .inheritance)
        lexicon = NameLexicon(words: Set(try c.decode([String].self, forKey: .lexicon)))
        // Models stored before dependencies were learned have none until retrained.
        dependencies = try c.decodeIfPresent(KeyDependencies.self, forKey: .dependencies) ?? KeyDependencies()
        tellingWords = try c.decodeIfPresent(TellingWords.self, forKey: .tellingWords) ?? TellingWords()
        namedValues = try c.decodeIfPresent(NamedValues.self, forKey: .namedValues) ?? NamedValues()
        accountValues = try c.decodeIfPresent(AccountValues.self, forKey: .accountValues) ?? AccountValues()
        nameSlots = try c.decodeIfPresent(NameSlots.self, forKey: .nameSlots) ?? NameSlots()
    }
}

/// FNV-1a 64: a stable hash (Swift's Hasher is seeded per process, so it cannot decide folds or samples).
enum FNV {
    static func hash(_ s: String, seed: UInt64 = 0) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
        add(s, to: &h)
        return h
    }

    /// Continues hash `h` with the bytes of `s` (hashing two strings one after the other hashes them joined).
    static func add(_ s: String, to h: inout UInt64) {
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
    }
}
