import Testing
import TaggingAPI
@testable import Inference

@Suite struct MergeTests {
    @Test func manualWinsAndEmptyManualRemoves() {
        let (set, _) = RuleSet.compile([rule("r", tags: ["team": "rule-team", "env": "production"], override: true)])
        let spec = resource("i-1", tags: ["team": "native-team", "Environment": "dev"], manual: ["team": "mine", "env": ""])
        let r = TagInferencer(rules: set).infer(InferenceInput(spec: spec))
        #expect(r.tag("team")?.value == "mine")
        #expect(r.tag("team")?.source == .manual)
        #expect(r.tag("team")?.confidence == 1.0)
        #expect(r.tag("env") == nil)
        #expect(r.missingKeys.contains("env"))
    }

    @Test func rejectedValuesAreNeverAppliedOrSuggestedAgain() {
        let (set, _) = RuleSet.compile([
            rule("first", priority: 2, tags: ["team": "payments"]),
            rule("second", priority: 1, tags: ["team": "ledger"]),
        ])
        let inf = TagInferencer(rules: set)
        let plain = inf.infer(InferenceInput(spec: resource("i-1"))).tag("team")
        #expect(plain?.value == "payments")
        let after = inf.infer(InferenceInput(spec: resource("i-1"), rejected: [RejectedTag(key: "team", value: "Payments")])).tag("team")
        #expect(after?.value == "ledger")
        let both = inf.infer(InferenceInput(spec: resource("i-1"), rejected: [
            RejectedTag(key: "team", value: "payments"), RejectedTag(key: "team", value: "ledger"),
        ]))
        #expect(both.tag("team") == nil)
        #expect(both.missingKeys.contains("team"))
    }

    @Test func approvedValuesApply() {
        let r = TagInferencer().infer(InferenceInput(spec: resource("i-1", tags: ["team": "a"]), approved: ["team": "b", "owner": "o@x"]))
        #expect(r.tag("team")?.value == "b")
        #expect(r.tag("team")?.source == .approval)
        #expect(r.tag("owner")?.value == "o@x")
    }

    @Test func inheritanceNamesTheParentAndRanksBelowNative() {
        let instance = resource("arn:aws:ec2:i-1", tags: ["team": "payments", "env": "production", "app": "ledger"],
                                relations: [Relation(type: "InVPC", target: "vpc-1")])
        let volume = resource("arn:aws:ec2:vol-1", type: "ec2:volume", tags: ["env": "staging"],
                              relations: [Relation(type: "AttachedTo", target: "arn:aws:ec2:i-1")])
        let vpc = resource("vpc-1", type: "ec2:vpc", tags: ["cost-center": "CC-7", "application": "shared-network"])
        let results = EstateInference.infer(
            [instance, volume, vpc].map { InferenceInput(spec: $0) }, inferencer: TagInferencer())
        let v = results[1]
        #expect(v.tag("team")?.value == "payments")
        #expect(v.tag("team")?.source == .inherited)
        #expect(v.tag("team")?.confidence == 0.92)
        #expect(v.tag("team")?.decision == .apply)
        #expect(v.tag("team")?.parent == "arn:aws:ec2:i-1")
        #expect(v.tag("team")?.reason.contains("arn:aws:ec2:i-1 (AttachedTo)") == true)
        #expect(v.tag("env")?.value == "staging")
        #expect(v.tag("env")?.source == .native)
        let i = results[0]
        #expect(i.tag("cost-center")?.value == "CC-7")
        #expect(i.tag("cost-center")?.confidence == 0.85)
        #expect(i.tag("cost-center")?.decision == .suggest)
        // A VPC's application says nothing about what runs in it.
        #expect(i.tag("application")?.value == "ledger")
        #expect(i.tag("application")?.source == .native)
        #expect(results[1].tag("application")?.value == "ledger")
    }

    @Test func learnedAgreementLowersInheritedConfidence() {
        var stats = InheritanceStats()
        for i in 0..<100 { stats.record(relation: "AttachedTo", key: "team", agrees: i < 60) }
        let c = stats.confidence(relation: "AttachedTo", key: "team", ceiling: 0.92)
        #expect(c < 0.6 && c > 0.5)
        #expect(stats.confidence(relation: "AttachedTo", key: "env", ceiling: 0.92) == 0.92)
    }

    @Test func aModelGuessAgreeingWithAnInheritedValueKeepsItInherited() {
        let thresholds = Thresholds()
        let inherited = InferredTag(
            key: "team", value: "payments", confidence: 0.8, source: .inherited, decision: thresholds.decision(for: 0.8),
            reason: "inherited from rg (resourceGroup), which has team=payments", parent: "rg")
        let agreeing = InferredTag(
            key: "team", value: "payments", confidence: 0.95, source: .model, decision: .apply, reason: "the name carries team=payments")
        let kept = TagInferencer.stronger(agreeing, than: inherited, thresholds: thresholds)
        #expect(kept.source == .inherited && kept.parent == "rg")
        #expect(kept.confidence == 0.95 && kept.decision == .apply)
        #expect(kept.reason.hasPrefix("inherited from rg") && kept.reason.contains("the name carries team=payments"))

        var other = agreeing
        other.value = "ledger"
        #expect(TagInferencer.stronger(other, than: inherited, thresholds: thresholds).source == .model)
        var weaker = agreeing
        weaker.confidence = 0.7
        #expect(TagInferencer.stronger(weaker, than: inherited, thresholds: thresholds) == inherited)
    }

    @Test func thresholdsAreConfigurable() {
        let config = InferenceConfig(thresholds: Thresholds(autoApply: 0.99, suggest: 0.95))
        let r = TagInferencer(config: config).infer(InferenceInput(spec: resource("i-1", tags: ["team": "x"])))
        #expect(r.tag("team")?.decision == .suggest)
        #expect(r.missingKeys.contains("team"))
    }
}
