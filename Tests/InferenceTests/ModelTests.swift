import Foundation
import Testing
import TaggingAPI
@testable import Inference

/// A small synthetic estate: team words in names decide team; accounts decide cost-center.
func toyEstate(_ n: Int, seed: UInt64) -> [CloudResourceSpec] {
    let teams = ["payments", "search", "identity", "billing"]
    var g = seed &+ 0x9E37_79B9_7F4A_7C15
    func next() -> UInt64 { g ^= g << 13; g ^= g >> 7; g ^= g << 17; return g }
    return (0..<n).map { i in
        let t = Int(next() % 4)
        let team = teams[t]
        let account = "acct-\(t)"
        let tagged = next() % 10 < 7
        let tags: [String: String]? = tagged ? ["team": team, "cost-center": "CC-\(t)"] : nil
        let role = ["api", "web", "db", "cache", "queue", "batch"][Int(next() % 6)]
        return resource("r-\(seed)-\(i)", name: "\(team)-\(role)-\(i)", account: account, tags: tags)
    }
}

@Suite struct ModelTests {
    @Test func learnsAndPredictsWithCalibratedConfidence() {
        let estate = toyEstate(600, seed: 3)
        let model = EstateInference.learn(estate.map { InferenceInput(spec: $0) })
        #expect(model.keys["team"]?.values.sorted() == ["billing", "identity", "payments", "search"])
        let inf = TagInferencer(model: model)
        let r = inf.infer(InferenceInput(spec: resource("new", name: "search-web-x", account: "acct-1")))
        let team = try! #require(r.tag("team"))
        #expect(team.value == "search")
        #expect(team.source == .model)
        #expect(team.confidence >= 0.9)
        #expect(team.reason.contains("\"search\""))
        #expect(r.tag("cost-center")?.value == "CC-1")
        // Nothing known about this one: no confident guess.
        let unknown = inf.infer(InferenceInput(spec: resource("odd", type: "rds:db", name: "zzz", account: "acct-9", region: "ap-south-1")))
        #expect(unknown.tag("team").map { $0.decision != .apply } ?? true)
    }

    @Test func deniedValueIsNotSuggestedAgainAndIsANegativeExample() {
        let estate = toyEstate(400, seed: 5)
        var model = EstateInference.learn(estate.map { InferenceInput(spec: $0) })
        let spec = resource("new", name: "billing-api-x", account: "acct-3")
        let inf = TagInferencer(model: model)
        #expect(inf.infer(InferenceInput(spec: spec)).tag("team")?.value == "billing")
        let again = inf.infer(InferenceInput(spec: spec, rejected: [RejectedTag(key: "team", value: "billing")])).tag("team")
        #expect(again?.value != "billing")
        let before = model.keys["team"]!.docs[model.keys["team"]!.values.firstIndex(of: "billing")!]
        let generation = model.generation
        model.learn(decision: false, key: "team", value: "billing", features: ResourceFeatures(spec: spec, knownTags: [:]))
        #expect(model.keys["team"]!.docs[model.keys["team"]!.values.firstIndex(of: "billing")!] == before - 1)
        #expect(model.generation == generation + 1)
    }

    @Test func incrementalLearningAddsNewValues() {
        var model = EstateInference.learn(toyEstate(300, seed: 7).map { InferenceInput(spec: $0) })
        #expect(model.keys["team"]?.values.contains("observability") == false)
        for i in 0..<40 {
            let spec = resource("o-\(i)", name: "observability-grafana-\(i)", account: "acct-obs")
            model.learn(TrainingExample(id: spec.id, features: ResourceFeatures(spec: spec, knownTags: [:]), labels: ["team": "observability"]))
        }
        let p = model.predict(key: "team", features: ResourceFeatures(
            spec: resource("x", name: "observability-loki-1", account: "acct-obs"), knownTags: [:]))
        #expect(p?.value == "observability")
    }

    @Test func codableRoundTripPredictsTheSame() throws {
        let estate = toyEstate(500, seed: 11)
        let model = EstateInference.learn(estate.map { InferenceInput(spec: $0) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(model)
        let decoded = try JSONDecoder().decode(TagModel.self, from: data)
        #expect(try encoder.encode(decoded) == data)
        for spec in estate.prefix(50) {
            let f = ResourceFeatures(spec: spec, knownTags: [:])
            #expect(model.predict(key: "team", features: f) == decoded.predict(key: "team", features: f))
        }
        let wrongFormat = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\"format\":1", with: "\"format\":99")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(TagModel.self, from: Data(wrongFormat.utf8)) }
    }

    /// Features seen with most of a key's values are scored from dense rows; the same model without them
    /// (as after incremental learning) ranks every resource exactly the same, with the same evidence.
    @Test func denseRowsRankAsScatteredPostings() throws {
        let teams = (0..<12).map { "team\($0)" }
        let estate = (0..<600).map { i in
            let team = teams[i % teams.count]
            return resource("d-\(i)", type: ["ec2:instance", "rds:db"][i % 2], name: "\(team)-\(["api", "web", "db"][i % 3])-\(i)",
                            account: "acct-\(i % 5)", tags: i % 3 == 0 ? nil : ["team": team])
        }
        let model = EstateInference.learn(estate.map { InferenceInput(spec: $0) })
        let dense = try #require(model.keys["team"])
        #expect(dense.dense.rows.contains { $0 >= 0 })
        var scattered = dense
        scattered.dense = KeyModel.DenseRows()
        for spec in estate.prefix(100) {
            let features = model.features(spec: spec, known: [:]).features(for: "team")
            let a = try #require(dense.rank(features)), b = try #require(scattered.rank(features))
            #expect(a.best == b.best && a.margin == b.margin && a.support == b.support && a.known == b.known && a.unknown == b.unknown)
            let ids = features.map { dense.featureIndex[$0] ?? -1 }
            #expect(dense.evidence(ids: ids, features, value: a.best) == scattered.evidence(ids: ids, features, value: a.best))
        }
    }

    @Test func trainingIsDeterministic() throws {
        let inputs = toyEstate(400, seed: 13).map { InferenceInput(spec: $0) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let a = try encoder.encode(EstateInference.learn(inputs))
        let b = try encoder.encode(EstateInference.learn(inputs))
        #expect(a == b)
    }

    @Test func aRenumberedModelKeepsWhatItLearned() throws {
        // team -> cost-center holds on every tagged resource: the model learns the dependency.
        let model = EstateInference.learn(toyEstate(600, seed: 5).map { InferenceInput(spec: $0) }, generation: 3)
        try #require(!model.dependencies.byTarget.isEmpty)
        let renumbered = model.numbered(9)
        #expect(renumbered.generation == 9)
        #expect(renumbered.version == "v\(TagModel.format).9")
        #expect(renumbered.dependencies == model.dependencies)
        #expect(renumbered.tellingWords == model.tellingWords)
        #expect(renumbered.namedValues == model.namedValues)
        #expect(renumbered.vocabulary == model.vocabulary)
        #expect(renumbered.keys.keys.sorted() == model.keys.keys.sorted())
    }

    @Test func calibrationDependsOnThePairsNotTheirOrder() {
        // Many equal scores, right and wrong ones interleaved: every order gives the same blocks.
        var pairs: [(score: Double, correct: Bool)] = []
        for i in 0..<2000 { pairs.append((Double(i % 37) / 4 - 2, i % 3 != 0 || i % 37 > 30)) }
        let a = IsotonicCalibration.fit(pairs)
        var g: UInt64 = 7
        for i in pairs.indices.reversed() {
            g ^= g << 13; g ^= g >> 7; g ^= g << 17
            pairs.swapAt(i, Int(g % UInt64(i + 1)))
        }
        let b = IsotonicCalibration.fit(pairs)
        #expect(a == b)
        #expect(a.examples == 2000)
        for s in stride(from: -3.0, through: 8, by: 0.125) { #expect(a.confidence(s) == b.confidence(s)) }
    }

    @Test func calibrationOfGroupsPoolsAsTheirUnion() {
        let groups: [[(score: Double, correct: Bool)]] = (0..<4).map { g in
            (0..<(300 * g)).map { i in (Double((i * 7 + g) % 23) / 3 - 1, (i + g) % 4 != 0) }
        }
        let fitted = IsotonicCalibration.fit(groups: groups)
        #expect(fitted.groups == groups.map { IsotonicCalibration.fit($0) })
        #expect(fitted.pooled == IsotonicCalibration.fit(groups.flatMap { $0 }))
        #expect(fitted.groups[0] == IsotonicCalibration())
    }

    @Test func aGroupIsHashedAsItsName() {
        let specs = [
            CloudResourceSpec(provider: "aws", id: "i-1", type: "ec2:instance", name: "payments-api-prod-01", account: "123", region: "eu-west-1"),
            CloudResourceSpec(provider: "gcp", id: "g-1", type: "compute:instance", name: "SearchWebDevelop02"),
            CloudResourceSpec(provider: "azure", id: "a-1", type: "storage:account", name: "données-équipe", account: "sub", region: nil),
            CloudResourceSpec(provider: "aws", id: "b-1", type: "s3:bucket", name: nil, account: nil, region: "us-east-1"),
        ]
        for spec in specs { #expect(TrainingExample.groupHash(of: spec) == FNV.hash(TrainingExample.group(of: spec))) }
    }

    @Test func isotonicCalibrationIsMonotoneAndShrunk() {
        var pairs: [(score: Double, correct: Bool)] = []
        for i in 0..<1000 {
            let s = Double(i) / 100
            pairs.append((s, Double(i % 100) < min(99, s * 10)))
        }
        let c = IsotonicCalibration.fit(pairs)
        var last = 0.0
        for s in stride(from: -1.0, through: 12, by: 0.25) {
            let v = c.confidence(s)
            #expect(v >= last)
            #expect(v < 1)
            last = v
        }
        #expect(c.confidence(0) < 0.2)
        #expect(c.confidence(11) > 0.9)
        #expect(IsotonicCalibration().confidence(5) == 0)
    }

    @Test func aSparseWeakEvidenceTailIsNotLentTheAccuracyOfACrowdedStep() {
        // 300 well-measured predictions around score 1.5, 90% right, and 8 at score -5, half right.
        var pairs: [(score: Double, correct: Bool)] = (0..<300).map { (1 + Double($0) / 300, $0 % 10 != 0) }
        pairs += (0..<8).map { (-5, $0 % 2 == 0) }
        let c = IsotonicCalibration.fit(pairs)
        #expect(c.confidence(-5) < 0.5, "the tail claims \(c.confidence(-5))")
        #expect(c.confidence(1.5) > 0.8)
    }

    @Test func aThinStepHighUpDoesNotDragDownTheStepsBelow() {
        // 500 predictions 88% right, then 10 higher-scored ones 9 right (a lower bound of ~0.63 alone).
        var pairs: [(score: Double, correct: Bool)] = (0..<500).map { (1 + Double($0) / 500, $0 % 25 > 2) }
        pairs += (0..<10).map { (5, $0 != 0) }
        let c = IsotonicCalibration.fit(pairs)
        #expect(c.confidence(1.5) > 0.84, "well-measured step at \(c.confidence(1.5))")
        #expect(c.confidence(5) >= c.confidence(1.5))
    }

    @Test func theEnvironmentsModelReadsALetterStandingAloneInTheName() throws {
        // Eight resources each: too few for the letter to tell on its own (`TellingWords`); the rest of the
        // names is the same, so only the letter tells test from development.
        var inputs: [InferenceInput] = []
        for i in 0..<16 {
            let (env, letter) = i % 2 == 0 ? ("test", "T") : ("development", "D")
            inputs.append(InferenceInput(spec: resource("r\(i)", name: "LEDGER-\(letter)-API\(i)", account: "acct-\(i % 4)",
                                                        tags: ["env": env, "team": "payments"])))
        }
        let model = EstateInference.learn(inputs)
        #expect(model.tellingWords.byKey["env"]?["l:t"] == nil)
        let inferencer = TagInferencer(model: model)
        for (name, env) in [("LEDGER-T-API99", "test"), ("LEDGER-D-API99", "development")] {
            let spec = resource("new", name: name, account: "acct-1")
            let tag = try #require(inferencer.infer(InferenceInput(spec: spec)).tag("env"))
            #expect(tag.value == env && tag.reason.contains("name letter"), "\(tag)")
            // The model's index and the model read the same features.
            let direct = try #require(model.predict(key: "env", features: model.features(spec: spec, known: [:])))
            #expect(direct.value == env && direct.confidence == tag.confidence)
        }
    }

    @Test func namesCarryingGeneratedIdsAreOpaque() {
        #expect(NameTokenizer.hasIdLikeChunk("srv-7f3a9c2d"))
        #expect(NameTokenizer.hasIdLikeChunk("vandelay-srv-2y5opokt1"))
        #expect(!NameTokenizer.hasIdLikeChunk("vandelay-tmp-lccojhx5"))  // one transition: kept as an (unknown) word
        #expect(NameTokenizer.hasIdLikeChunk("x-0xutp7a3"))
        #expect(!NameTokenizer.hasIdLikeChunk("payments-api-prod-01"))
        #expect(!NameTokenizer.hasIdLikeChunk("searchApiApiDevelop04"))
        let spec = CloudResourceSpec(provider: "aws", id: "i-1", type: "ec2:instance", name: "res-v2j7ghk6")
        #expect(ResourceFeatures(spec: spec, knownTags: [:]).opaqueName)
    }
}
