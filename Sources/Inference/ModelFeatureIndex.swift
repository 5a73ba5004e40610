/// The features of all of a model's keys numbered once: inference looks each of a resource's features up
/// by string once for all its keys, and each key's model reads its own index from a table (the same index
/// its `featureIndex` gives, -1 where it has not seen the feature).
struct ModelFeatureIndex: Sendable {
    /// Feature -> number.
    private let numbers: [String: Int32]
    /// Per key: its model, and per number the model's index of the feature.
    private let perKey: [String: Key]
    /// Per number, the feature in words (`TagInferencer.describe`): the model's reasons name the same few
    /// features over and over.
    private let descriptions: [String]

    init(_ model: TagModel) {
        var numbers: [String: Int32] = [:]
        var names: [String] = []
        for key in model.keys.keys.sorted() {
            for f in model.keys[key]!.featureNames where numbers[f] == nil {
                numbers[f] = Int32(names.count)
                names.append(f)
            }
        }
        var perKey: [String: Key] = [:]
        for (key, m) in model.keys {
            var table = [Int32](repeating: -1, count: numbers.count)
            for (i, f) in m.featureNames.enumerated() { table[Int(numbers[f]!)] = Int32(i) }
            perKey[key] = Key(model: m, table: table)
        }
        self.numbers = numbers
        self.perKey = perKey
        self.descriptions = names.map(TagInferencer.describe)
    }

    /// `TagInferencer.describe(feature)`, read from the table for a feature of the model.
    func describe(_ feature: String) -> String {
        guard let n = numbers[feature] else { return TagInferencer.describe(feature) }
        return descriptions[Int(n)]
    }

    /// A resource's features as numbers (-1 for one no key has seen), looked up once for all keys.
    struct Numbered {
        var base: [Int32]
        var tags: [Int32]
        /// The letters standing alone (`ResourceFeatures.isStandingLetter`), for the keys that read them.
        var letters: [Int32]
    }

    func number(_ features: ResourceFeatures) -> Numbered {
        Numbered(base: features.base.map { numbers[$0] ?? -1 }, tags: features.tags.map { numbers[$0.feature] ?? -1 },
                 letters: features.letters.filter(ResourceFeatures.isStandingLetter).map { numbers[$0] ?? -1 })
    }

    /// One key's model and table. A class: a prediction reads the model in place, without copying (and
    /// retaining) each of its arrays.
    final class Key: Sendable {
        let model: KeyModel
        /// Per number: the key model's index of the feature, -1 when it has not seen it.
        let table: [Int32]

        init(model: KeyModel, table: [Int32]) {
            self.model = model
            self.table = table
        }

        /// The model's indices of `features.features(for: key)`, in its order.
        func ids(_ numbered: Numbered, of features: ResourceFeatures, key: String) -> [Int32] {
            var out: [Int32] = []
            out.reserveCapacity(numbered.base.count + numbered.tags.count)
            for n in numbered.base { out.append(n < 0 ? -1 : table[Int(n)]) }
            for (t, n) in zip(features.tags, numbered.tags) where t.key != key { out.append(n < 0 ? -1 : table[Int(n)]) }
            if ResourceFeatures.readsLetters(key) { for n in numbered.letters { out.append(n < 0 ? -1 : table[Int(n)]) } }
            return out
        }
    }

    /// `key`'s model and table, nil when the model has no such key.
    func key(_ key: String) -> Key? { perKey[key] }
}
