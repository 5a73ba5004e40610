import K8sClient
import Testing

@testable import Reconcilers

/// The one table behind TaggingRule `matchedResources` and the required-key coverage: each question must keep its
/// own answer as the other's entries come and go.
struct EvaluationLedgerTests {
    static func resource(_ name: String) -> ObjectKey { ObjectKey(namespace: "ns", name: name) }
    static func rule(_ name: String) -> ObjectKey { ObjectKey(namespace: "ns", name: name) }

    @Test func ruleCountsFollowEachResourcesLastMatch() {
        let ledger = EvaluationLedger()
        #expect(ledger.record(Self.resource("a"), matched: ["r1", "r2"]) == [Self.rule("r1"), Self.rule("r2")])
        #expect(ledger.record(Self.resource("b"), matched: ["r2"]) == [Self.rule("r2")])
        #expect(ledger.record(Self.resource("b"), matched: ["r2"]) == [], "an unchanged match changes no count")
        #expect(ledger.count(rule: Self.rule("r1")) == 1)
        #expect(ledger.count(rule: Self.rule("r2")) == 2)

        #expect(ledger.record(Self.resource("a"), matched: ["r3"]) == [Self.rule("r1"), Self.rule("r2"), Self.rule("r3")])
        #expect(ledger.count(rule: Self.rule("r1")) == 0)
        #expect(ledger.count(rule: Self.rule("r2")) == 1)
        #expect(ledger.remove(Self.resource("b")) == [Self.rule("r2")])
        #expect(ledger.count(rule: Self.rule("r2")) == 0)
        #expect(ledger.remove(Self.resource("b")) == [], "a resource removed twice")
        #expect(ledger.resourceCount == 1)
    }

    @Test func coverageCountsEvaluatedResourcesAndWhatTheyMiss() {
        let ledger = EvaluationLedger()
        let keys = ["team", "env"]
        for name in ["a", "b", "c"] { _ = ledger.record(Self.resource(name), matched: ["r1"]) }
        #expect(ledger.coverage(of: keys)["team"]! == (0, 0), "matched but not yet covered: nothing counted")

        ledger.record(Self.resource("a"), missing: ["env", "team"])
        ledger.record(Self.resource("b"), missing: ["env"])
        ledger.record(Self.resource("c"), missing: [])
        #expect(ledger.coverage(of: keys)["team"]! == (2, 3))
        #expect(ledger.coverage(of: keys)["env"]! == (1, 3))

        ledger.record(Self.resource("a"), missing: ["env"])
        #expect(ledger.coverage(of: keys)["team"]! == (3, 3))

        // Vanished: out of the coverage, its rule matches as recorded.
        ledger.uncover(Self.resource("b"))
        ledger.uncover(Self.resource("b"))
        #expect(ledger.coverage(of: keys)["env"]! == (1, 2))
        #expect(ledger.count(rule: Self.rule("r1")) == 3)

        // Gone: out of both.
        #expect(ledger.remove(Self.resource("a")) == [Self.rule("r1")])
        #expect(ledger.coverage(of: keys)["env"]! == (1, 1))
        #expect(ledger.count(rule: Self.rule("r1")) == 2)
        #expect(ledger.resourceCount == 2)

        // A new rule match keeps the coverage recorded; covering again after uncovering counts once.
        _ = ledger.record(Self.resource("c"), matched: ["r2"])
        ledger.record(Self.resource("b"), missing: ["team"])
        #expect(ledger.coverage(of: keys)["team"]! == (1, 2))
        #expect(ledger.coverage(of: keys)["env"]! == (2, 2))
    }
}
