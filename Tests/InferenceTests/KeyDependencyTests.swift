import Testing
import Discovery
import TaggingAPI
@testable import Inference

/// Keys that determine other keys, learned from the estate with their reliability.
@Suite struct KeyDependencyTests {
    /// Teams own applications and have one cost centre; environments are spread over every team. Names and
    /// accounts say nothing (opaque names, one shared account), so only the tags can tell.
    /// `splitIdentity`: team identity's resources carry two cost centres (nine in forty the second), so its
    /// team determines no cost centre of its own.
    func estate(splitIdentity: Bool = false) -> [InferenceInput] {
        let teams = ["payments", "search", "identity"]
        let apps = ["payments": ["ledger", "payouts"], "search": ["indexer", "ranking"], "identity": ["sso", "auth"]]
        let envs = ["production", "staging", "development"]
        return (0..<600).map { i in
            let team = teams[i % 3]
            let app = apps[team]![(i / 3) % 2]
            var tags = ["team": team, "cost-center": "CC-\(100 + i % 3)", "application": app, "env": envs[(i / 7) % 3]]
            // One stale cost centre in sixty: the dependency is measured, not assumed.
            if i % 60 == 0 { tags["cost-center"] = "CC-999" }
            if splitIdentity, team == "identity", (i / 3) % 40 < 9 { tags["cost-center"] = "CC-998" }
            return InferenceInput(spec: resource("r\(i)", name: "srv-\(i)", account: "shared", tags: tags))
        }
    }

    @Test func learnedWithTheirReliabilityAndOnlyWhereTheyHold() {
        let known = estate().map { TagNormaliser(tables: .default).normalisedValues($0.spec.nativeTags) }
        let deps = KeyDependencies.learn(from: known, keys: VTag.defaultRequiredKeys)
        let teamToCostCenter = try! #require(deps.byTarget["cost-center"]?.first { $0.source == "team" })
        #expect(teamToCostCenter.resources == 600)
        #expect(abs(teamToCostCenter.reliability - 590.0 / 600) < 1e-9)
        let payments = try! #require(teamToCostCenter.implied["payments"])
        #expect(payments.value == "CC-100")
        #expect(payments.agreeing == 190 && payments.resources == 200)
        #expect(payments.confidence < 0.95 && payments.confidence > 0.9)
        // application -> team holds on every resource; env determines nothing, and nothing determines env.
        #expect(deps.byTarget["team"]?.contains { $0.source == "application" && $0.reliability == 1 } == true)
        #expect(deps.byTarget["team"]?.contains { $0.source == "env" } != true)
        #expect(deps.byTarget["env"] == nil)
    }

    @Test func theTopValueWrittenWithASuffixAgreesWithIt() throws {
        // Application promotions: team checkout on 12 resources, `checkout_team` on 2, `checkout-old` (a rename's
        // leftover) on 2, and search on 1, a real other value. Application ranking: search on all 60.
        var known: [[String: String]] = []
        for (team, n) in [("checkout", 12), ("checkout_team", 2), ("checkout-old", 2), ("search", 1)] {
            known += Array(repeating: ["application": "promotions", "team": team], count: n)
        }
        known += Array(repeating: ["application": "ranking", "team": "search"], count: 60)
        let deps = KeyDependencies.learn(from: known, keys: ["application", "team"])
        let promotions = try #require(deps.byTarget["team"]?.first { $0.source == "application" }?.implied["promotions"])
        #expect(promotions.value == "checkout")
        #expect(promotions.agreeing == 16 && promotions.resources == 17)
        #expect(KeyDependencies.isSuffixed("checkoutteam", base: "checkout"))
        #expect(!KeyDependencies.isSuffixed("checkoutapi", base: "checkout"), "another word makes another value")
    }

    @Test func usedAsCalibratedEvidenceAndNamedInTheReason() {
        let inputs = estate()
        let model = EstateInference.learn(inputs)
        let inferencer = TagInferencer(model: model)
        let r = inferencer.infer(InferenceInput(spec: resource("new", name: "srv-x", account: "shared", tags: ["Team": "search"])))
        let cc = try! #require(r.tag("cost-center"))
        #expect(cc.value == "CC-101")
        #expect(cc.source == .model)
        #expect(cc.confidence == model.dependencies.byTarget["cost-center"]!.first { $0.source == "team" }!.implied["search"]!.confidence)
        #expect(cc.reason.contains("team search has cost-center=CC-101 on 200 of 200 resources"), "\(cc.reason)")
        #expect(cc.reason.contains("team -> cost-center holds on 98.3% of 600 resources"), "\(cc.reason)")
        // A denied value is not implied again.
        let denied = inferencer.infer(InferenceInput(
            spec: resource("new", name: "srv-x", account: "shared", tags: ["Team": "search"]),
            rejected: [RejectedTag(key: "cost-center", value: "cc-101")]))
        #expect(denied.tag("cost-center")?.value != "CC-101")
    }

    /// Without a band's record (`partialRecords`: a model stored before, or too few judged).
    @Test func aSourceValueSomeOfWhoseResourcesDisagreeImpliesAtItsShareAndBelowItNothing() throws {
        func implied(_ agreeing: Int, of resources: Int) -> AgreedValue {
            AgreedValue(value: "search", agreeing: agreeing, resources: resources, confidence: 0.9)
        }
        // autocomplete: 14 of 16 (two tags stale after a rename); ranking: 20 of 20; scanner: 7 of 10 (shared).
        let deps = KeyDependencies(byTarget: ["team": [KeyDependencies.Dependency(
            source: "application", target: "team", reliability: 0.93, resources: 46,
            implied: ["autocomplete": implied(14, of: 16), "ranking": implied(20, of: 20), "scanner": implied(7, of: 10)],
            seen: nil)]])
        func team(application: String) -> KeyDependencies.Implication? {
            deps.implied(target: "team") { $0 == "application" ? (application, 0.8) : nil }
        }
        let whole = try #require(team(application: "ranking"))
        #expect(abs(whole.confidence - 0.9 * 0.8) < 1e-12, "at or above minimumAgreement the share does not scale it")
        let most = try #require(team(application: "autocomplete"))
        #expect(most.implied.value == "search")
        #expect(abs(most.confidence - 0.9 * 0.8 * 14 / 16) < 1e-12)
        #expect(team(application: "scanner") == nil, "below minimumShare a value implies nothing")
    }

    @Test func anInferredSourceValueCountsWithItsConfidence() {
        let model = EstateInference.learn(estate())
        let r = TagInferencer(model: model).infer(InferenceInput(spec: resource("new", name: "srv-y", account: "shared", tags: ["app": "ranking"])))
        // application -> team: the team follows from the application alone.
        #expect(r.tag("team")?.value == "search")
        #expect(r.tag("team")?.decision == .apply)
        // A source value known at 0.5 halves what it implies.
        let direct = try! #require(model.dependencies.implied(target: "cost-center") { $0 == "team" ? ("search", 1) : nil })
        let halved = try! #require(model.dependencies.implied(target: "cost-center") { $0 == "team" ? ("search", 0.5) : nil })
        #expect(direct.implied.value == "CC-101" && halved.implied.value == "CC-101")
        #expect(abs(halved.confidence - direct.confidence / 2) < 1e-12)
    }

    @Test func anInferredSourceContradictedByTheKeysOwnEvidenceStillImpliesItsValue() {
        let model = EstateInference.learn(estate())
        let inferencer = TagInferencer(model: model)
        // The instance the resource is attached to says team search, whose cost centre is CC-101; the network
        // says cost-center CC-100.
        let parents = ["inst-1": RelatedResource(tags: ["team": "search"]), "vpc-1": RelatedResource(tags: ["cost-center": "CC-100"])]
        func infer(_ tags: [String: String]?) -> InferenceResult {
            inferencer.infer(InferenceInput(spec: resource(
                "new", name: "srv-z", account: "shared", tags: tags,
                relations: [Relation(type: "AttachedTo", target: "inst-1"), Relation(type: "InVPC", target: "vpc-1")]))
            ) { parents[$0] }
        }
        // With the team itself inferred (inherited), the two contradict each other. The team's implication is
        // taken, with the team's confidence times the implication's, and the network's value loses (seeds
        // 8830-8845: where they contradicted, the inferred source's implication was right on 98-99% of ~5,300
        // values, the contradicting guess on under 1%).
        let inferred = infer(nil)
        let team = try! #require(inferred.tag("team"))
        #expect(team.value == "search" && team.source == .inherited && team.decision == .apply)
        let implied = try! #require(inferred.tag("cost-center"))
        let implication = model.dependencies.byTarget["cost-center"]!.first { $0.source == "team" }!.implied["search"]!
        #expect(implied.value == "CC-101" && implied.source == .model)
        #expect(abs(implied.confidence - implication.confidence * team.confidence) < 1e-12)
        #expect(implied.reason.contains("team search has cost-center=CC-101"), "\(implied.reason)")
        // A team the resource was given is not doubted: what it implies wins over the network.
        let given = infer(["Team": "search"])
        #expect(given.tag("cost-center")?.value == "CC-101")
        #expect(given.tag("cost-center")?.decision == .apply)
    }

    @Test func aGuessTheResourcesOtherKeysNeverGoWithIsDoubtedEvenWhenTheyImplyNothing() {
        let model = EstateInference.learn(estate(splitIdentity: true))
        let teamToCostCenter = try! #require(model.dependencies.byTarget["cost-center"]?.first { $0.source == "team" })
        // identity has CC-102 on 31 in 40 of its resources: too few to imply it (below `minimumShare`).
        let identity = try! #require(teamToCostCenter.implied["identity"])
        #expect(Double(identity.agreeing) < KeyDependencies.minimumShare * Double(identity.resources))
        #expect(model.dependencies.implied(target: "cost-center") { $0 == "team" ? ("identity", 1) : nil } == nil)
        // The network says CC-100, search's cost centre, which no resource of identity has.
        let parents = ["vpc-1": RelatedResource(tags: ["cost-center": "CC-100"])]
        let r = TagInferencer(model: model).infer(InferenceInput(spec: resource(
            "new", name: "srv-w", account: "shared", tags: ["Team": "identity"], relations: [Relation(type: "InVPC", target: "vpc-1")]))
        ) { parents[$0] }
        let cc = try! #require(r.tag("cost-center"))
        #expect(cc.value == "CC-100" && cc.source == .inherited)
        let c = try! #require(model.dependencies.contradiction(target: "cost-center", candidate: "CC-100") { $0 == "team" ? ("identity", 1) : nil })
        #expect(c.together == 0 && c.chance < 0.05)
        #expect(cc.confidence == c.chance)
        #expect(cc.decision == .discard)
        #expect(cc.reason.contains("doubted: team identity has cost-center=CC-100 on 0 of \(identity.resources) resources"), "\(cc.reason)")
        // Its own second cost centre is one the estate shows with it: not doubted.
        #expect(model.dependencies.contradiction(target: "cost-center", candidate: "CC-998") { $0 == "team" ? ("identity", 1) : nil } == nil)
        // A team only inferred at 0.6 leaves the guess the chance that the team is wrong.
        let unsure = try! #require(model.dependencies.contradiction(target: "cost-center", candidate: "CC-100") { $0 == "team" ? ("identity", 0.6) : nil })
        #expect(abs(unsure.chance - (0.4 + 0.6 * c.chance)) < 1e-12)
    }

    /// Ten teams in six deployments each; one cost-centre tag in eight is the team's old one, in every deployment.
    /// On the whole the rule holds on 87.5%, under `minimumReliability`; judged by other deployments it holds as
    /// often, over `minimumHeldOutReliability`: it is kept when the deployments are known.
    @Test func aRuleWithStaleTagsInEveryDeploymentIsKeptWhenJudgedByOtherDeployments() throws {
        var known: [[String: String]] = [], groups: [UInt64] = []
        for team in 0..<10 {
            for deployment in 0..<6 {
                for r in 0..<8 {
                    known.append(["team": "team-\(team)", "cost-center": r == 0 ? "CC-9\(team)" : "CC-1\(team)"])
                    groups.append(UInt64(team * 6 + deployment))
                }
            }
        }
        let kept = KeyDependencies.learn(from: known, keys: ["team", "cost-center"], groups: groups)
        let rule = try #require(kept.byTarget["cost-center"]?.first { $0.source == "team" })
        #expect(rule.reliability == 0.875)
        #expect(rule.implied[Fold.fold("team-3")]?.value == "CC-13")
        let unjudged = KeyDependencies.learn(from: known, keys: ["team", "cost-center"])
        #expect(unjudged.byTarget["cost-center"] == nil, "without deployments, 87.5% on the whole is too little")
    }

    /// Sixty owners whose tagged resources are one deployment of one application each, and five who own four
    /// applications, one per deployment. On the whole owner -> application holds on 91%: each single-deployment
    /// owner agrees with itself. Judged by other deployments, those owners are not counted, and the others'
    /// applications never follow: the pair is dropped.
    @Test func sourceValuesSeenInOneDeploymentProveNothing() {
        var known: [[String: String]] = [], groups: [UInt64] = []
        var group: UInt64 = 0
        for owner in 0..<60 {
            for _ in 0..<10 { known.append(["owner": "o\(owner)@example.com", "application": "app-\(owner)"]); groups.append(group) }
            group += 1
        }
        for owner in 60..<65 {
            for app in 0..<4 {
                for _ in 0..<4 { known.append(["owner": "o\(owner)@example.com", "application": "app-\(owner)-\(app)"]); groups.append(group) }
                group += 1
            }
        }
        let wholly = KeyDependencies.learn(from: known, keys: ["owner", "application"])
        let pair = wholly.byTarget["application"]?.first { $0.source == "owner" }
        #expect(pair.map { abs($0.reliability - 620.0 / 680) < 1e-9 } == true, "kept on the whole: \(String(describing: pair))")
        let judged = KeyDependencies.learn(from: known, keys: ["owner", "application"], groups: groups)
        #expect(judged.byTarget["application"] == nil)
    }

    /// The owner comes before the application in the keys' order: an owner inherited before the application was
    /// filled is checked against it once the application is known.
    @Test func aValueAppliedBeforeTheKeyThatDeterminesItIsCheckedOnceItIsKnown() throws {
        // ana owns two applications, so the owner determines none; each application determines its owner.
        let owners = ["ledger": "ana@example.com", "payouts": "ana@example.com", "refunds": "bo@example.com"]
        let inputs = (0..<600).map { i in
            let app = ["ledger", "payouts", "refunds"][i % 3]
            return InferenceInput(spec: resource("r\(i)", name: "srv-\(i)", account: "shared",
                                                 tags: ["team": "payments", "application": app, "owner": owners[app]!]))
        }
        let model = EstateInference.learn(inputs)
        // The instance says application ledger and owner bo, whom no resource of ledger has.
        let parents = ["inst-1": RelatedResource(tags: ["application": "ledger", "owner": "bo@example.com"])]
        func infer(keys: [String]) -> InferenceResult {
            TagInferencer(config: InferenceConfig(requiredKeys: keys), model: model).infer(InferenceInput(spec: resource(
                "new", name: "srv-x", account: "shared", relations: [Relation(type: "AttachedTo", target: "inst-1")]))
            ) { parents[$0] }
        }
        // The owner is inherited before the application is known (the default order), then weighed against it.
        let r = infer(keys: VTag.defaultRequiredKeys)
        let application = try #require(r.tag("application"))
        #expect(application.value == "ledger" && application.decision == .apply, "\(application)")
        let owner = try #require(r.tag("owner"))
        #expect(owner.value == "ana@example.com" && owner.reason.contains("application ledger has owner=ana@example.com"), "\(owner)")
        // As if the application had come first: the order of the keys changes nothing.
        let applicationFirst = infer(keys: ["application"] + VTag.defaultRequiredKeys.filter { $0 != "application" })
        #expect(applicationFirst.tag("owner") == owner)
        // Without the application, the parent's owner stands.
        let alone = TagInferencer(model: model).infer(InferenceInput(spec: resource(
            "new", name: "srv-x", account: "shared", relations: [Relation(type: "AttachedTo", target: "inst-1")]))
        ) { _ in RelatedResource(tags: ["owner": "bo@example.com"]) }
        #expect(alone.tag("owner")?.value == "bo@example.com")
    }

    @Test func aChainOfDependenciesAgainstTheKeysOrderIsFollowedToItsEnd() throws {
        // No tagged resource of ledger shows its team, so only its owner tells: application -> owner -> team,
        // while the keys are filled team, owner, ..., application.
        var inputs: [InferenceInput] = []
        for i in 0..<600 {
            let (app, tags): (String, [String: String]) = switch i % 3 {
            case 0: ("ledger", ["owner": "ana@example.com"])
            case 1: ("payouts", ["owner": "ana@example.com", "team": "payments"])
            default: ("indexer", ["owner": "bo@example.com", "team": "search"])
            }
            inputs.append(InferenceInput(spec: resource("r\(i)", name: "srv-\(i)", account: "shared", tags: tags.merging(["app": app]) { a, _ in a })))
        }
        let model = EstateInference.learn(inputs)
        #expect(VTag.defaultRequiredKeys.firstIndex(of: "team")! < VTag.defaultRequiredKeys.firstIndex(of: "owner")!)
        #expect(VTag.defaultRequiredKeys.firstIndex(of: "owner")! < VTag.defaultRequiredKeys.firstIndex(of: "application")!)
        // The instance says application ledger: its owner is ana, and ana's resources are all of team payments.
        let parents = ["inst-1": RelatedResource(tags: ["application": "ledger"])]
        let r = TagInferencer(model: model).infer(InferenceInput(spec: resource(
            "new", name: "srv-x", account: "shared", relations: [Relation(type: "AttachedTo", target: "inst-1")]))
        ) { parents[$0] }
        #expect(r.tag("application")?.value == "ledger")
        let owner = try #require(r.tag("owner"))
        #expect(owner.value == "ana@example.com" && owner.reason.contains("application ledger has owner=ana@example.com"), "\(owner)")
        let team = try #require(r.tag("team"))
        #expect(team.value == "payments" && team.reason.contains("owner ana@example.com has team=payments"), "\(team)")
        #expect(team.decision != .discard)
    }

    /// Applications `app-N`, each with `resources` resources in accounts of their own (resource r of application a
    /// has owner `owner(a, r)`), then `large` resources of four applications whose owners always agree: they keep the
    /// dependency (its reliability) whatever the small ones do.
    func applications(_ count: Int, resources: Int, large: Int, owner: (Int, Int) -> String) -> (known: [[String: String]], accounts: [String]) {
        var known: [[String: String]] = [], accounts: [String] = []
        for a in 0..<count {
            for r in 0..<resources {
                known.append(["application": "app-\(a)", "owner": owner(a, r)])
                accounts.append("acct-\(a)-\(r)")
            }
        }
        for r in 0..<large {
            known.append(["application": "big-\(r % 4)", "owner": "lead-\(r % 4)@example.com"])
            accounts.append("big-\(r % 10)")
        }
        return (known, accounts)
    }

    /// Applications each with its owner tagged on three resources in three accounts (`consistent`), or with a
    /// different owner in one of its accounts than in the other two (`inconsistent` of them).
    func thinlySupported(consistent: Int, inconsistent: Int) -> (known: [[String: String]], accounts: [String]) {
        applications(consistent + inconsistent, resources: 3, large: 200) { a, r in
            a >= consistent && r == 2 ? "other-\(a)@example.com" : "owner-\(a)@example.com"
        }
    }

    /// Three resources say little of one application (Wilson's lower bound of 3 of 3 is 0.44), but how often the
    /// dependency's thinly supported values held on other accounts' resources says how far such a value holds.
    @Test func thinlySupportedValuesImplyWhatTheirKindHeldOnOtherAccounts() throws {
        let (known, accounts) = thinlySupported(consistent: 40, inconsistent: 0)
        let pooled = KeyDependencies.learn(from: known, keys: ["application", "owner"], accounts: accounts, folds: 5)
        let dependency = try #require(pooled.byTarget["owner"]?.first { $0.source == "application" })
        let thin = try #require(dependency.implied[Fold.fold("app-7")])
        #expect(thin.value == "owner-7@example.com" && thin.resources == 3)
        #expect(thin.confidence > 0.9)
        #expect(thin.confidence > IsotonicCalibration.wilsonLower(correct: 3, of: 3))
        let implication = KeyDependencies.Implication(dependency: dependency, sourceValue: "app-7", implied: thin, confidence: thin.confidence)
        #expect(implication.reason.hasSuffix("values seen as rarely held on other accounts' resources)"), "\(implication.reason)")
        // Without accounts nothing is measured: three resources are too few to imply anything.
        let alone = KeyDependencies.learn(from: known, keys: ["application", "owner"])
        #expect(alone.byTarget["owner"]?.first { $0.source == "application" }?.implied[Fold.fold("app-7")] == nil)
        #expect(alone.byTarget["owner"]?.first { $0.source == "application" }?.implied[Fold.fold("big-1")] != nil)
        // When thinly supported applications' owners often differ from account to account, theirs do not hold.
        let (mixed, mixedAccounts) = thinlySupported(consistent: 40, inconsistent: 40)
        let doubtful = KeyDependencies.learn(from: mixed, keys: ["application", "owner"], accounts: mixedAccounts, folds: 5)
        let held = doubtful.byTarget["owner"]?.first { $0.source == "application" }?.implied[Fold.fold("app-7")]
        #expect((held?.confidence ?? 0) < 0.7)
    }

    /// Applications of eight resources, each in its own account, whose owner tags are each another value with
    /// chance `stale` (a typo, a tag left from before a rename). Seeded: the same every run.
    func partlyAgreeing(stale: Double) -> (known: [[String: String]], accounts: [String]) {
        var random = SeededRandom(seed: 17)
        return applications(120, resources: 8, large: 3000) { a, _ in
            random.chance(stale) ? "stale-\(random.below(1000))@example.com" : "owner-\(a)@example.com"
        }
    }

    /// A handful of resources is a noisy measure of how far one application's owner holds: 5 of 8 may be an
    /// application of the many whose tags go stale one time in ten, or one whose resources really have two owners.
    /// How often applications agreeing as partly held on other accounts' resources tells them apart.
    @Test func aSourceValueAgreeingPartlyImpliesAtWhatSuchValuesHeldOnOtherAccounts() throws {
        func partial(stale: Double) throws -> (dependency: KeyDependencies.Dependency, application: String, share: Double) {
            let (known, accounts) = partlyAgreeing(stale: stale)
            let learned = KeyDependencies.learn(from: known, keys: ["application", "owner"], accounts: accounts, folds: 5)
            let dependency = try #require(learned.byTarget["owner"]?.first { $0.source == "application" })
            // The application agreeing least, above the lowest band.
            let partly = dependency.implied.filter { _, i in
                let share = Double(i.agreeing) / Double(i.resources)
                return share >= KeyDependencies.partialBands[0] && share < KeyDependencies.minimumShare
            }
            let (application, i) = try #require(partly.min { a, b in a.value.agreeing != b.value.agreeing ? a.value.agreeing < b.value.agreeing : a.key < b.key })
            return (dependency, application, Double(i.agreeing) / Double(i.resources))
        }
        // Tags stale one time in ten: a 5-of-8 application is one of them, and its owner is suggested.
        let noisy = try partial(stale: 0.1)
        let records = try #require(noisy.dependency.partialRecords)
        #expect(try #require(records[0]) > 0.8, "most applications' owners held on other accounts")
        let deps = KeyDependencies(byTarget: ["owner": [noisy.dependency]])
        let implied = try #require(deps.implied(target: "owner") { $0 == "application" ? (noisy.application, 1) : nil })
        #expect(implied.confidence > 0.8 && implied.confidence > noisy.share, "\(implied.confidence) at a share of \(noisy.share)")
        #expect(implied.implied.value == "owner-\(noisy.application.dropFirst("app".count))@example.com", "app-N folded is appN")
        #expect(implied.reason.contains("values agreeing on 60-80% of their resources held on other accounts' resources at least"),
                "\(implied.reason)")
        // A third of all tags another owner: such applications hold no better than they agree.
        let mixed = try partial(stale: 0.35)
        let weak = KeyDependencies(byTarget: ["owner": [mixed.dependency]])
            .implied(target: "owner") { $0 == "application" ? (mixed.application, 1) : nil }
        #expect((weak?.confidence ?? 0) < 0.7)
    }

    /// Seed 8842's applications' owners: too few on 5-9 resources were judged on other accounts (47) for a
    /// record of their own; with those on 2-4 (78), which hold no more often, there are enough.
    @Test func aSupportBucketWithTooFewJudgedIsPooledWithTheOnesBelow() throws {
        let heldOut = KeyDependencies.HeldOut(agreeing: [74, 46, 378, 0, 0], resources: [78, 47, 391, 0, 0])
        #expect(heldOut.confidence(support: 7) == IsotonicCalibration.wilsonLower(correct: 120, of: 125))
        #expect(heldOut.confidence(support: 3) == IsotonicCalibration.wilsonLower(correct: 74, of: 78))
        #expect(heldOut.confidence(support: 12) == IsotonicCalibration.wilsonLower(correct: 378, of: 391))
        let thin = KeyDependencies.HeldOut(agreeing: [20, 20, 0, 0, 0], resources: [20, 20, 0, 0, 0])
        #expect(thin.confidence(support: 7) == nil, "40 judged in all")
        #expect(thin.confidence(support: 1) == nil, "below the lowest bucket")
    }

    /// How often two keys that determine one target imply different values, on the resources with both: the
    /// measure of whether one refines the other.
    @Test func twoKeysDeterminingOneTargetAreMeasuredByHowOftenTheyDiffer() throws {
        var known: [[String: String]] = []
        // Team payments' lead owns ledger (30 resources); payouts (10) has its own owner.
        known += Array(repeating: ["team": "payments", "application": "ledger", "owner": "lead@example.com"], count: 30)
        known += Array(repeating: ["team": "payments", "application": "payouts", "owner": "ana@example.com"], count: 10)
        // Nine teams of one application each, owned by their lead.
        for t in 0..<9 {
            known += Array(repeating: ["team": "team-\(t)", "application": "app-\(t)", "owner": "lead-\(t)@example.com"], count: 40)
        }
        let learned = KeyDependencies.learn(from: known, keys: ["team", "application", "owner"])
        let teamToOwner = try #require(learned.byTarget["owner"]?.first { $0.source == "team" })
        let applicationToOwner = try #require(learned.byTarget["owner"]?.first { $0.source == "application" })
        #expect(teamToOwner.differing?["application"] == 10.0 / 400, "payouts' 10 of the 400 resources with both")
        #expect(applicationToOwner.differing?["team"] == 10.0 / 400)
    }

    /// `payouts`, whose owner no tagged resource shows, of team `payments`: its team's lead is its owner only if
    /// applications' owners are their teams' leads, which the estate measured (`differing`).
    @Test func aWeakerKeysImplicationIsDoubtedWhenAKeyRefiningItHasAValueNoTagShowsWithTheTarget() throws {
        func owner(differing: Double) throws -> KeyDependencies.Implication {
            let applicationToOwner = KeyDependencies.Dependency(
                source: "application", target: "owner", reliability: 0.97, resources: 500,
                implied: ["ledger": AgreedValue(value: "ana@example.com", agreeing: 20, resources: 20, confidence: 0.95)],
                seen: ["ledger": [Fold.fold("ana@example.com"): 20]], differing: ["team": differing])
            let teamToOwner = KeyDependencies.Dependency(
                source: "team", target: "owner", reliability: 0.89, resources: 500,
                implied: ["payments": AgreedValue(value: "lead@example.com", agreeing: 40, resources: 40, confidence: 0.93)],
                seen: ["payments": [Fold.fold("lead@example.com"): 40]], differing: ["application": differing])
            let deps = KeyDependencies(byTarget: ["owner": [applicationToOwner, teamToOwner]])
            return try #require(deps.implied(target: "owner") { key in
                key == "application" ? ("payouts", 1) : key == "team" ? ("payments", 1) : nil
            })
        }
        // Applications' owners differ from their teams' leads on 13% of resources: the lead is a guess.
        let refined = try owner(differing: 0.13)
        #expect(refined.implied.value == "lead@example.com")
        #expect(refined.confidence < 0.5)
        #expect(refined.reason.hasSuffix("; doubted: no tagged resource of application payouts shows its owner"), "\(refined.reason)")
        // On 3% (values two teams share): the team says it.
        let same = try owner(differing: 0.03)
        #expect(abs(same.confidence - 0.93) < 1e-12)
        #expect(!same.reason.contains("doubted"))
    }

    /// `tax`, whose owner no tagged resource shows: a guess at its owner is worth less than even odds when the
    /// application is the owner's one determinant, and nothing is doubted when another key determines it too.
    @Test func aGuessForASourceValueNoTaggedResourceShowsIsDoubtedWhenItIsTheOneDeterminant() throws {
        let applicationToOwner = KeyDependencies.Dependency(
            source: "application", target: "owner", reliability: 0.97, resources: 300,
            implied: ["invoicing": AgreedValue(value: "lead@example.com", agreeing: 150, resources: 150, confidence: 0.98)],
            seen: ["invoicing": [Fold.fold("lead@example.com"): 150]])
        let one = KeyDependencies(byTarget: ["owner": [applicationToOwner]])
        let c = try #require(one.contradiction(target: "owner", candidate: "lead@example.com") { $0 == "application" ? ("tax", 1) : nil })
        #expect(c.chance == KeyDependencies.unshownShare && c.resources == 0)
        #expect(c.reason(value: "lead@example.com") == "doubted: no tagged resource of application tax shows its owner")
        // An inferred application leaves the chance it is wrong besides.
        let unsure = try #require(one.contradiction(target: "owner", candidate: "lead@example.com") { $0 == "application" ? ("tax", 0.9) : nil })
        #expect(abs(unsure.chance - (0.1 + 0.9 * KeyDependencies.unshownShare)) < 1e-12)
        // A value the estate shows is not doubted; nor one of a key with another determinant.
        #expect(one.contradiction(target: "owner", candidate: "lead@example.com") { $0 == "application" ? ("invoicing", 1) : nil } == nil)
        var teamToOwner = applicationToOwner
        teamToOwner.source = "team"
        let two = KeyDependencies(byTarget: ["owner": [applicationToOwner, teamToOwner]])
        #expect(two.contradiction(target: "owner", candidate: "lead@example.com") { $0 == "application" ? ("tax", 1) : nil } == nil)
    }

    /// The unshown owner's guess through the inferencer: `tax` is tagged with its application and team only.
    @Test func theInferencerDoubtsAnOwnerNoTaggedResourceOfItsApplicationShows() throws {
        var inputs: [InferenceInput] = []
        for i in 0..<300 {
            let (app, owner) = i % 2 == 0 ? ("invoicing", "lead@example.com") : ("dunning", "bo@example.com")
            inputs.append(InferenceInput(spec: resource("r\(i)", name: "billing-\(app)-\(i)", account: "billing-\(i % 6)",
                                                        tags: ["team": "billing", "app": app, "owner": owner])))
        }
        for i in 0..<30 {
            inputs.append(InferenceInput(spec: resource("t\(i)", name: "billing-tax-\(i)", account: "billing-\(i % 6)",
                                                        tags: ["team": "billing", "app": "tax"])))
        }
        let model = EstateInference.learn(inputs)
        #expect(model.dependencies.byTarget["owner"]?.map(\.source) == ["application"])
        let r = TagInferencer(model: model).infer(InferenceInput(spec: resource(
            "new", name: "billing-tax-99", account: "billing-1", tags: ["team": "billing", "app": "tax"])))
        let owner = r.tag("owner")
        #expect((owner?.confidence ?? 0) <= KeyDependencies.unshownShare)
        #expect(owner?.decision != .apply)
        // A volume of an instance whose owner tag shows it: the instance is a resource of tax, so the owner is
        // shown, and it is inherited as any owner is.
        let parents = ["inst-1": RelatedResource(tags: ["owner": "carl@example.com"])]
        let volume = TagInferencer(model: model).infer(InferenceInput(spec: resource(
            "vol", name: "billing-tax-99-data", account: "billing-1", tags: ["team": "billing", "app": "tax"],
            relations: [Relation(type: "AttachedTo", target: "inst-1")]))
        ) { parents[$0] }
        let inherited = try #require(volume.tag("owner"))
        #expect(inherited.value == "carl@example.com" && inherited.source == .inherited, "\(inherited)")
        #expect(!inherited.reason.contains("doubted") && inherited.confidence > KeyDependencies.unshownShare, "\(inherited)")
    }
}
