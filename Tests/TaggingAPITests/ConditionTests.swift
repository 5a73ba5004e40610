import Foundation
import KubeCore
import Testing
import TaggingAPI

/// status.conditions follow apimachinery's meta.SetStatusCondition.
@Suite struct ConditionTests {
    let t0 = Date(timeIntervalSince1970: 1_700_000_000)
    let t1 = Date(timeIntervalSince1970: 1_700_000_600)

    @Test func setAppendsThenReplacesByType() {
        var conditions: [Condition] = []
        let changed1 = conditions.set(Condition(type: "Ready", status: .false, lastTransitionTime: t0, reason: "Pending"))
        #expect(changed1)
        let changed2 = conditions.set(Condition(type: "Running", status: .true, lastTransitionTime: t0, reason: "Started"))
        #expect(changed2)
        #expect(conditions.count == 2)
        let changed3 = conditions.set(Condition(type: "Ready", status: .true, observedGeneration: 2, lastTransitionTime: t1, reason: "Evaluated"))
        #expect(changed3)
        #expect(conditions.count == 2)
        #expect(conditions.find("Ready")?.reason == "Evaluated")
        #expect(conditions.find("Ready")?.lastTransitionTime == t1)
        #expect(conditions.find("Ready")?.observedGeneration == 2)
        #expect(conditions.isTrue("Ready") && conditions.isTrue("Running") && !conditions.isTrue("Missing"))
    }

    @Test func sameStatusKeepsTheTransitionTime() {
        var conditions = [Condition(type: "Ready", status: .true, observedGeneration: 1, lastTransitionTime: t0, reason: "Evaluated", message: "a")]
        // Same state again (new time): no change at all.
        let changed4 = conditions.set(Condition(type: "Ready", status: .true, observedGeneration: 1, lastTransitionTime: t1, reason: "Evaluated", message: "a"))
        #expect(!changed4)
        // New message or generation is a change, but not a transition.
        let changed5 = conditions.set(Condition(type: "Ready", status: .true, observedGeneration: 2, lastTransitionTime: t1, reason: "Evaluated", message: "b"))
        #expect(changed5)
        #expect(conditions.find("Ready")?.lastTransitionTime == t0)
        #expect(conditions.find("Ready")?.message == "b")
        #expect(conditions.find("Ready")?.observedGeneration == 2)
    }

    @Test func conditionsFitTheSchema() throws {
        var conditions: [Condition] = []
        conditions.set(Condition(type: VTag.ConditionType.ready, status: .false, observedGeneration: 4, lastTransitionTime: t0, reason: "InvalidRegex", message: "spec.match.name.regex: missing )"))
        let schema = try #require(try CRDCatalog.crd("TaggingRule").schema(at: "status.conditions"))
        #expect(SchemaValidator.validate(try JSONValue.from(conditions), schema: schema, path: "status.conditions").isEmpty)
        // An empty reason is refused by the API server: the operator must always give one.
        let bad = [Condition(type: "Ready", status: .true, lastTransitionTime: t0, reason: "")]
        #expect(!SchemaValidator.validate(try JSONValue.from(bad), schema: schema, path: "status.conditions").isEmpty)
        for type in [VTag.ConditionType.ready, VTag.ConditionType.tagged, VTag.ConditionType.compliant, VTag.ConditionType.running,
                     VTag.ConditionType.decided, VTag.ConditionType.applied] {
            let one = [Condition(type: type, status: .unknown, lastTransitionTime: t0, reason: "Unknown")]
            #expect(SchemaValidator.validate(try JSONValue.from(one), schema: schema, path: "status.conditions").isEmpty, "\(type)")
        }
    }
}
