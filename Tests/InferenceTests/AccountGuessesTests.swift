import Testing
import TaggingAPI
@testable import Inference

/// Guesses that rest on the account alone (see `AccountGuesses`).
@Suite struct AccountGuessesTests {
    /// Each tagged resource is judged by the most common value of its account's other tagged resources.
    @Test func theRecordLeavesEachResourceOutOfItsAccount() throws {
        var examples: [TrainingExample] = []
        func add(_ account: String, _ value: String, _ n: Int) {
            for i in 0..<n {
                let spec = resource("\(account)-\(value)-\(i)", name: "\(value)-\(i)", account: account)
                examples.append(TrainingExample(
                    id: spec.id, features: ResourceFeatures(spec: spec, knownTags: [:]), labels: ["application": value],
                    account: account))
            }
        }
        add("acct-a", "ledger", 6); add("acct-a", "cards", 2)  // ledger's 6 are right (5 > 2), cards' 2 wrong
        add("acct-b", "search", 3)  // right (2 > 0)
        add("acct-c", "lonely", 1)  // no other resource to judge it by: not counted
        add("acct-d", "ledger", 2); add("acct-d", "cards", 2)  // a tie is a guess: wrong
        let model = TagModel.train(examples)
        let record = try #require(AccountGuesses(model).records["application"])
        #expect(record.agreeing == 9)
        #expect(record.resources == 15)
        #expect(record.confidence == IsotonicCalibration.wilsonLower(correct: 9, of: 15))
    }

    /// Team accounts, each with three applications its names name. A name whose words no tagged resource has
    /// (an application nobody tagged) leaves the account as all the evidence; a name naming a known application
    /// does not.
    @Test func aGuessNoNameWordOrTagPointsAtRestsOnTheAccount() throws {
        let applications = [["ledger", "cards", "vault"], ["search", "ranking", "indexer"],
                            ["mailer", "notifier", "webhooks"], ["billing", "invoicing", "pricing"]]
        var specs: [CloudResourceSpec] = []
        for (t, team) in applications.enumerated() {
            for (application, count) in zip(team, [12, 10, 8]) {
                for i in 0..<count {
                    specs.append(resource(
                        "r-\(application)-\(i)", name: "\(application)-web-\(i)", account: "acct-\(t)",
                        tags: ["application": application]))
                }
            }
        }
        let model = EstateInference.learn(specs.map { InferenceInput(spec: $0) })
        let record = try #require(AccountGuesses(model).records["application"])
        #expect(record.resources == 120)
        #expect(record.confidence < 0.5)

        let stranger = resource("new", name: "newthing-web-1", account: "acct-2")
        let guess = try #require(model.predict(key: "application", features: model.features(spec: stranger, known: [:])))
        #expect(applications[2].contains(guess.value))
        #expect(guess.restsOnAccount)
        let tag = try #require(TagInferencer(model: model).infer(InferenceInput(spec: stranger)).tag("application"))
        #expect(tag.confidence <= record.confidence)

        let named = resource("known", name: "notifier-web-99", account: "acct-2")
        let value = try #require(model.predict(key: "application", features: model.features(spec: named, known: [:])))
        #expect(value.value == "notifier")
        #expect(!value.restsOnAccount)
    }

    /// Capped at the key's record, with the reason; a guess at or below it, or of a key with no record, is left alone.
    @Test func aGuessRestingOnTheAccountKeepsAtMostTheKeysRecord() throws {
        let guesses = AccountGuesses(records: ["application": .init(agreeing: 40, resources: 100, confidence: 0.32)])
        let guess = InferredTag(key: "application", value: "ledger", confidence: 0.95, source: .model, decision: .apply,
                                reason: "model v1.1: resources like this (account 1) have application=ledger")
        let capped = try #require(guesses.capped(guess, thresholds: .default))
        #expect(capped.confidence == 0.32)
        #expect(capped.decision == .discard)
        #expect(capped.reason.hasPrefix(guess.reason))
        #expect(capped.reason.contains("doubted: no word of its name and no tag points at application=ledger"))
        #expect(capped.reason.contains("on 40 of 100"))
        var low = guess
        low.confidence = 0.3
        #expect(guesses.capped(low, thresholds: .default) == nil)
        var other = guess
        other.key = "team"
        #expect(guesses.capped(other, thresholds: .default) == nil)
    }

    /// Held-out guesses that no name word or tag points at get a calibration of their own, and it caps theirs.
    @Test func heldOutAccountGuessesAreCalibratedApart() throws {
        var specs: [CloudResourceSpec] = []
        for t in 0..<6 {
            for a in 0..<4 {
                for i in 0..<15 {
                    // Half of them unnamed: the account is all they say.
                    let name = i % 2 == 0 ? "app\(t)x\(a)-web-\(i)" : nil
                    specs.append(resource("r-\(t)-\(a)-\(i)", name: name, account: "acct-\(t)", tags: ["application": "app\(t)x\(a)"]))
                }
            }
        }
        let model = EstateInference.learn(specs.map { InferenceInput(spec: $0) })
        let keyModel = try #require(model.keys["application"])
        #expect(keyModel.accountGuesses.examples >= EvidenceGroup.minimumExamples)
        // An unnamed resource of a four-application account: right about a quarter of the time when held out.
        let unnamed = TagInferencer(model: model).infer(InferenceInput(spec: resource("new", name: nil, account: "acct-3")))
        let guess = try #require(unnamed.tag("application"))
        #expect(guess.confidence < 0.5)
    }
}
