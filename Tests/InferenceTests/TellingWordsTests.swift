import Testing
import TaggingAPI
@testable import Inference

/// Name words that say a key's value on their own, checked by holding out accounts.
@Suite struct TellingWordsTests {
    /// `svc-prd-N` is production and `svc-dev-N` development, in twelve accounts; `ledger` only ever in one.
    func examples() -> [TrainingExample] {
        var out: [TrainingExample] = []
        for i in 0..<60 {
            let env = i % 2 == 0 ? "production" : "development"
            let account = "acct-\(i % 12)"
            let spec = resource("r\(i)", name: "svc-\(env == "production" ? "prd" : "dev")-\(i)", account: account)
            out.append(TrainingExample(
                id: spec.id, features: ResourceFeatures(spec: spec, knownTags: [:]), labels: ["env": env], account: account))
        }
        for i in 0..<25 {
            let spec = resource("l\(i)", name: "ledger-\(i)", account: "solo")
            out.append(TrainingExample(
                id: spec.id, features: ResourceFeatures(spec: spec, knownTags: [:]), labels: ["env": "staging"], account: "solo"))
        }
        return out
    }

    @Test func aWordThatHeldInOtherAccountsTellsWithItsLowerBound() throws {
        let words = TellingWords.learn(examples(), keys: ["env"], folds: 5)
        let prd = try #require(words.byKey["env"]?["w:prd"])
        #expect(prd.value == "production")
        #expect(prd.agreeing == 30 && prd.resources == 30)
        #expect(prd.confidence == IsotonicCalibration.wilsonLower(correct: 30, of: 30))
        #expect(words.byKey["env"]?["w:dev"]?.value == "development")
        // Half and half: tells nothing.
        #expect(words.byKey["env"]?["w:svc"] == nil)
        // Seen in one account only: never checked on another, so never telling.
        #expect(words.byKey["env"]?["w:ledger"] == nil)
    }

    /// Opaque projects are all called `prj-…`: four big production projects and six small development ones.
    /// `prj` went with production on 160 of 178 resources (each fold's other folds hold production accounts,
    /// so resources alone would make it telling), but on four accounts of ten: an account word is
    /// judged by its accounts too, so it tells nothing. `prod`, production in every account it names, tells.
    @Test func anAccountWordMostOfWhoseAccountsDisagreeDoesNotTell() throws {
        let labels = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]
        var examples: [TrainingExample] = []
        for (a, label) in labels.enumerated() {
            let (env, count) = a < 4 ? ("production", 40) : ("development", 3)
            for i in 0..<count {
                let spec = resource("\(label)-\(i)", name: "srv-\(label)\(i)", account: "prj-\(label)")
                examples.append(TrainingExample(
                    id: spec.id, features: ResourceFeatures(spec: spec, knownTags: [:]), labels: ["env": env], account: spec.account))
            }
            let spec = resource("p-\(label)", name: "web-\(label)", account: "shop-prod-\(label)")
            for i in 0..<3 {
                var copy = spec
                copy.id += "-\(i)"
                examples.append(TrainingExample(
                    id: copy.id, features: ResourceFeatures(spec: copy, knownTags: [:]), labels: ["env": "production"],
                    account: copy.account))
            }
        }
        let words = TellingWords.learn(examples, keys: ["env"], folds: 5)
        #expect(words.byKey["env"]?["n:prj"] == nil)
        let prod = try #require(words.byKey["env"]?["n:prod"])
        #expect(prod.value == "production")
    }

    @Test func twoWordsForDifferentValuesCancel() throws {
        let words = TellingWords.learn(examples(), keys: ["env"], folds: 5)
        #expect(words.implied(key: "env", features: ["p:aws", "w:prd"])?.word.value == "production")
        #expect(words.implied(key: "env", features: ["w:prd", "w:dev"]) == nil)
        #expect(words.implied(key: "team", features: ["w:prd"]) == nil)
    }

    /// `vault` is the name of an application tagged a few times; `card-vault`'s resources (`card-vault-N`) are
    /// tagged often. The word `vault` must not tell card-vault.
    @Test func aWordThatNamesAnotherValueDoesNotTellThisOne() {
        var examples: [TrainingExample] = []
        for i in 0..<30 {
            let spec = resource("c\(i)", name: "card-vault-\(i)", account: "acct-\(i % 10)")
            examples.append(TrainingExample(
                id: spec.id, features: ResourceFeatures(spec: spec, knownTags: [:]), labels: ["application": "card-vault"],
                account: spec.account))
        }
        for i in 0..<3 {
            let spec = resource("v\(i)", name: "vault-api-\(i)", account: "sec-\(i)")
            examples.append(TrainingExample(
                id: spec.id, features: ResourceFeatures(spec: spec, knownTags: [:]), labels: ["application": "vault"],
                account: spec.account))
        }
        let words = TellingWords.learn(examples, keys: ["application"], folds: 5)
        #expect(words.byKey["application"]?["w:card"]?.value == "card-vault")
        #expect(words.byKey["application"]?["w:vault"] == nil)
    }

    /// Team analytics names its resources `analytics-APP-N`: `reporting` (owner elena) tags its owner often,
    /// `metrics-api` (owner nadia) three times. `analytics` went with elena on 30 of 33 resources, but on the
    /// resources of metrics-api, which the application determines the owner of, it is wrong: not telling.
    @Test func aWordSplitByAKeyThatDeterminesTheKeyDoesNotTell() {
        var examples: [TrainingExample] = []
        for i in 0..<33 {
            let (app, owner) = i < 30 ? ("reporting", "elena") : ("metrics-api", "nadia")
            let spec = resource("a\(i)", name: "analytics-\(app)-\(i)", account: "acct-\(i % 10)")
            examples.append(TrainingExample(
                id: spec.id, features: ResourceFeatures(spec: spec, knownTags: [:]), labels: ["owner": owner, "application": app],
                account: spec.account))
        }
        let applicationToOwner = KeyDependencies.Dependency(
            source: "application", target: "owner", reliability: 1, resources: 33, implied: [:])
        let split = TellingWords.learn(
            examples, keys: ["owner"], folds: 5, dependencies: KeyDependencies(byTarget: ["owner": [applicationToOwner]]))
        #expect(split.byKey["owner"]?["w:analytics"] == nil)
        #expect(split.byKey["owner"]?["w:reporting"]?.value == "elena")
        // Without the dependency the groups are not known to matter: the word tells.
        let whole = TellingWords.learn(examples, keys: ["owner"], folds: 5)
        #expect(whole.byKey["owner"]?["w:analytics"]?.value == "elena")
    }

    /// Through the inferencer: a model whose naive Bayes tables are empty, so what fills the key is the word.
    @Test func usedByInferenceAndNamedInTheReason() throws {
        let model = TagModel(tellingWords: TellingWords.learn(examples(), keys: ["env"], folds: 5))
        let word = try #require(model.tellingWords.byKey["env"]?["w:prd"])
        let inferencer = TagInferencer(model: model)
        let r = inferencer.infer(InferenceInput(spec: resource("new", name: "zz-prd-x", account: "elsewhere")))
        let env = try #require(r.tag("env"))
        #expect(env.value == "production")
        #expect(env.confidence == word.confidence)
        #expect(env.decision == .apply)
        #expect(env.reason.contains("name word \"prd\" went with env=production on 30 of 30 resources"), "\(env.reason)")
        // A denied value is not told again; two words for two values tell nothing.
        let denied = inferencer.infer(InferenceInput(
            spec: resource("new", name: "zz-prd-x", account: "elsewhere"), rejected: [RejectedTag(key: "env", value: "production")]))
        #expect(denied.tag("env") == nil)
        #expect(inferencer.infer(InferenceInput(spec: resource("new", name: "prd-dev-x", account: "elsewhere"))).tag("env") == nil)
    }

    /// The terse upper-case convention writes the environment as one letter (`LEDGER-D-API03`), which is no
    /// name word: the letter is checked like a word, across accounts, and named as a letter in the reason.
    @Test func aLetterStandingAloneTellsLikeAWord() throws {
        var examples: [TrainingExample] = []
        for i in 0..<60 {
            let (env, letter) = i % 3 == 0 ? ("production", "P") : ("development", "D")
            let spec = resource("r\(i)", name: "LEDGER-\(letter)-API\(i)", account: "acct-\(i % 12)")
            examples.append(TrainingExample(
                id: spec.id, features: ResourceFeatures(spec: spec, knownTags: [:]), labels: ["env": env], account: spec.account))
        }
        let words = TellingWords.learn(examples, keys: ["env"], folds: 5)
        let d = try #require(words.byKey["env"]?["l:d"])
        #expect(d.value == "development" && d.agreeing == 40 && d.resources == 40)
        #expect(words.byKey["env"]?["l:p"]?.value == "production")
        #expect(words.byKey["env"]?["w:ledger"] == nil)
        let inferencer = TagInferencer(model: TagModel(tellingWords: words))
        let env = try #require(inferencer.infer(InferenceInput(spec: resource("new", name: "BILLING-D-WEB01", account: "elsewhere"))).tag("env"))
        #expect(env.value == "development")
        #expect(env.confidence == d.confidence)
        #expect(env.reason.contains("name letter \"d\" went with env=development on 40 of 40 resources"), "\(env.reason)")
        // A `d` and a `p` in one name: nothing.
        #expect(inferencer.infer(InferenceInput(spec: resource("new", name: "BILLING-D-P-WEB01", account: "elsewhere"))).tag("env") == nil)
    }

    /// `x-…` is how a few deployments' generated names start: production on every resource of the three
    /// deployments tagged, in three accounts. A letter is judged by deployment, so it tells nothing; `d`, in
    /// twelve deployments, tells.
    @Test func aLetterOfAFewDeploymentsTellsNothing() throws {
        var examples: [TrainingExample] = []
        func add(_ id: String, name: String, env: String, group: String, account: String) {
            let spec = resource(id, name: name, account: account)
            examples.append(TrainingExample(
                id: id, features: ResourceFeatures(spec: spec, knownTags: [:]), labels: ["env": env], group: group, account: account))
        }
        for i in 0..<30 { add("x\(i)", name: "x-q\(i)w", env: "production", group: "x\(i % 3)", account: "acct-\(i % 3)") }
        for i in 0..<36 { add("d\(i)", name: "LEDGER-D-API\(i)", env: "development", group: "d\(i % 12)", account: "acct-\(i % 12)") }
        for i in 0..<36 { add("p\(i)", name: "LEDGER-P-API\(i)", env: "staging", group: "p\(i % 12)", account: "acct-\(i % 12)") }
        let words = TellingWords.learn(examples, keys: ["env"], folds: 5)
        #expect(words.byKey["env"]?["l:x"] == nil)
        let d = try #require(words.byKey["env"]?["l:d"])
        #expect(d.value == "development" && d.agreeing == 36)
        // Judged by resource alone, `x` would tell: 30 of 30 in three accounts.
        let byResource = TellingWords.learn(examples.map { e in
            TrainingExample(id: e.id, features: e.features, labels: e.labels, group: e.id, account: e.account)
        }, keys: ["env"], folds: 5)
        #expect(byResource.byKey["env"]?["l:x"]?.value == "production")
    }
}
