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
        let capped = try #require(guesses.capped(guess, account: "1", thresholds: .default))
        #expect(capped.confidence == 0.32)
        #expect(capped.decision == .discard)
        #expect(capped.reason.hasPrefix(guess.reason))
        #expect(capped.reason.contains("doubted: no word of its name and no tag points at application=ledger"))
        #expect(capped.reason.contains("on 40 of 100"))
        var low = guess
        low.confidence = 0.3
        #expect(guesses.capped(low, account: "1", thresholds: .default) == nil)
        var other = guess
        other.key = "team"
        #expect(guesses.capped(other, account: "1", thresholds: .default) == nil)
    }

    /// A guess of the most common value of an account whose tagged resources disagree is held at the share of them that
    /// carry it (its lower bound), below the key's record.
    @Test func aGuessRestingOnTheAccountKeepsAtMostItsAccountsShareOfTheValue() throws {
        let share = AccountGuesses.AccountShare(counts: ["cc63621": 21, "cc74288": 20], resources: 41)
        let guesses = AccountGuesses(records: ["cost-center": .init(agreeing: 95, resources: 100, confidence: 0.9)],
                                     accountShares: ["cost-center": ["688733843542": share,
                                                                     "small": .init(counts: ["cc1042": 5], resources: 5)]])
        let guess = InferredTag(key: "cost-center", value: "CC-63621", confidence: 0.62, source: .model, decision: .discard,
                                reason: "model v1.1: resources like this (account 688733843542) have cost-center=CC-63621")
        let capped = try #require(guesses.capped(guess, account: "688733843542", thresholds: .default))
        // The lower bound (Wilson, 95%) of 21 of 41: 0.39.
        let bound = IsotonicCalibration.wilsonLower(correct: 21, of: 41)
        #expect(bound > 0.35 && bound < 0.45)
        #expect(capped.confidence == bound)
        #expect(capped.reason.hasSuffix("and its account's tagged resources have it on 21 of 41 (at least \(Int(bound * 100))%)"),
                "\(capped.reason)")
        // Another value than the account's most common does not rest on the account: its share says nothing of it.
        for value in ["CC-74288", "CC-41442"] {
            var other = guess
            other.value = value
            #expect(guesses.capped(other, account: "688733843542", thresholds: .default) == nil)
        }
        // At or below the share, or in an account without tagged resources of the key, only the record holds it.
        var low = guess
        low.confidence = bound
        #expect(guesses.capped(low, account: "688733843542", thresholds: .default) == nil)
        #expect(guesses.capped(guess, account: "elsewhere", thresholds: .default) == nil)
        // An account whose tagged resources all carry the value is judged by the record alone (5 of 5 would be 0.65).
        var agreed = guess
        agreed.value = "CC-1042"
        agreed.confidence = 0.85
        #expect(guesses.capped(agreed, account: "small", thresholds: .default) == nil)
        var high = guess
        high.confidence = 0.97
        let byRecord = try #require(guesses.capped(high, account: "elsewhere", thresholds: .default))
        #expect(byRecord.confidence == 0.9 && byRecord.reason.contains("on 95 of 100"))
    }

    /// A shared account (its tagged resources disagree on a key the accounts say) is judged by the shared accounts'
    /// record, the others by theirs: a team's own account is not held down by the platform subscriptions, nor
    /// a shared one trusted as much as a team's.
    @Test func sharedAccountsKeepTheirOwnRecord() throws {
        var specs: [CloudResourceSpec] = []
        func add(_ account: String, team: String, _ n: Int) {
            for i in 0..<n {
                // Eight roles: eight deployments of the team in the account, judged by one another.
                let role = ["api", "web", "db", "queue", "cache", "cron", "batch", "proxy"][i % 8]
                specs.append(resource("\(account)-\(team)-\(i)", name: "\(team)-\(role)-\(i)", account: account,
                                      tags: ["team": team]))
            }
        }
        // Ten teams' own accounts, twenty tagged resources each.
        let teams = (0..<10).map { "team\($0)" }
        for team in teams { add("acct-\(team)", team: team, 20) }
        // Two shared accounts: several teams' resources each.
        for (team, n) in zip(teams.prefix(4), [8, 4, 3, 2]) { add("shared-a", team: team, n) }
        for team in teams.suffix(3) { add("shared-b", team: team, 4) }
        let model = EstateInference.learn(specs.map { InferenceInput(spec: $0) })
        #expect(model.accountValues.shared == ["shared-a", "shared-b"])
        let guesses = AccountGuesses(model)
        let own = try #require(guesses.records["team"])
        let shared = try #require(guesses.sharedRecords["team"])
        #expect(own.resources == 200 && own.agreeing == 200)
        // shared-a: team0's 8 agree (7 > 4), the others do not; shared-b: a three-way tie, none agrees.
        #expect(shared.resources == 29 && shared.agreeing == 8)
        #expect(guesses.accountShares["team"]?["shared-a"]
            == AccountGuesses.AccountShare(counts: ["team0": 8, "team1": 4, "team2": 3, "team3": 2], resources: 17))

        let guess = InferredTag(key: "team", value: "team0", confidence: 0.8, source: .model, decision: .suggest,
                                reason: "model v1.1: resources like this (account shared-a) have team=team0")
        #expect(guesses.capped(guess, account: "acct-team0", thresholds: .default) == nil)
        let capped = try #require(guesses.capped(guess, account: "shared-a", thresholds: .default))
        #expect(capped.confidence == shared.confidence)
        #expect(capped.reason.contains("in shared accounts (their tagged resources disagree)"), "\(capped.reason)")
        #expect(capped.reason.contains("on 8 of 29"), "\(capped.reason)")
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
