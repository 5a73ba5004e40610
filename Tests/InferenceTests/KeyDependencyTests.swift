import Testing
import TaggingAPI
@testable import Inference

/// Keys that determine other keys, learned from the estate with their reliability.
@Suite struct KeyDependencyTests {
    /// Teams own applications and have one cost centre; environments are spread over every team. Names and
    /// accounts say nothing (opaque names, one shared account), so only the tags can tell.
    /// `splitIdentity`: team identity's resources carry two cost centres (two in ten the second), so its
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
            if splitIdentity, team == "identity", i % 10 < 2 { tags["cost-center"] = "CC-998" }
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

    @Test func anInferredSourceContradictedByTheKeysOwnEvidenceImpliesNothingAndDoubtsIt() {
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
        // With the team itself inferred (inherited), the two contradict each other: the implication is dropped
        // and the inherited cost centre kept, its confidence multiplied by the chance the implication is wrong.
        let inferred = infer(nil)
        let team = try! #require(inferred.tag("team"))
        #expect(team.value == "search" && team.source == .inherited && team.decision == .apply)
        let doubted = try! #require(inferred.tag("cost-center"))
        #expect(doubted.value == "CC-100" && doubted.source == .inherited)
        let implication = model.dependencies.byTarget["cost-center"]!.first { $0.source == "team" }!.implied["search"]!
        #expect(doubted.confidence < 0.85 * (1 - implication.confidence * team.confidence) + 1e-12)
        #expect(doubted.decision == .discard)
        #expect(doubted.reason.contains("doubted: team search, itself inferred, would imply cost-center=CC-101"), "\(doubted.reason)")
        // A team the resource was given is not doubted: what it implies wins over the network.
        let given = infer(["Team": "search"])
        #expect(given.tag("cost-center")?.value == "CC-101")
        #expect(given.tag("cost-center")?.decision == .apply)
    }

    @Test func aGuessTheResourcesOtherKeysNeverGoWithIsDoubtedEvenWhenTheyImplyNothing() {
        let model = EstateInference.learn(estate(splitIdentity: true))
        let teamToCostCenter = try! #require(model.dependencies.byTarget["cost-center"]?.first { $0.source == "team" })
        // identity has CC-102 on about eight in ten of its resources: too few to imply it.
        let identity = try! #require(teamToCostCenter.implied["identity"])
        #expect(Double(identity.agreeing) < KeyDependencies.minimumAgreement * Double(identity.resources))
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
        let r = TagInferencer(model: model).infer(InferenceInput(spec: resource(
            "new", name: "srv-x", account: "shared", relations: [Relation(type: "AttachedTo", target: "inst-1")]))
        ) { parents[$0] }
        let application = try #require(r.tag("application"))
        #expect(application.value == "ledger" && application.decision == .apply, "\(application)")
        let owner = try #require(r.tag("owner"))
        #expect(owner.value == "bo@example.com" && owner.source == .inherited)
        #expect(owner.decision != .apply)
        #expect(owner.reason.contains("doubted: application ledger has owner=bo@example.com on 0 of 200 resources"), "\(owner.reason)")
    }
}
