import Foundation
import Testing
import TaggingAPI
@testable import Inference

/// Values a key's tags kept from before a rename, found by where their resources are (see `FormerValues`).
@Suite struct FormerValuesTests {
    /// Team `data-platform` (renamed from `data-eng`) has ten deployments of seven resources, one of which in each of
    /// the first six still says `data-eng`. Team `ml` is small and has two deployments of its own. A tag `ops` was
    /// left on one resource in each of two `data-platform` deployments and two `ml` ones: it belongs to no team's.
    func estate() -> (tags: [[String: String]?], groups: [UInt64]) {
        var tags: [[String: String]?] = []
        var groups: [UInt64] = []
        func add(_ team: String, deployment: UInt64) {
            tags.append(["team": team, "application": "warehouse"])
            groups.append(deployment)
        }
        for d in 0..<10 {
            for i in 0..<7 { add(d < 6 && i == 0 ? "data-eng" : d >= 8 && i == 1 ? "ops" : "data-platform", deployment: UInt64(d)) }
        }
        for d in 100..<102 {
            for i in 0..<6 { add(i == 0 ? "ops" : "ml", deployment: UInt64(d)) }
        }
        return (tags, groups)
    }

    @Test func aValueWhoseResourcesSitAmongAnotherValuesIsTakenForIt() {
        let (tags, groups) = estate()
        let n = TagNormaliser.learning(from: tags, tables: .default, requiredKeys: VTag.defaultRequiredKeys, groups: groups)
        #expect(n.canonicalValue("data-eng", key: "team") == "data-platform")
        #expect(n.canonicalValue("DataEng", key: "team") == "data-platform")
        // A small team with deployments of its own, and a value spread over two teams' deployments, stay.
        #expect(n.canonicalValue("ml", key: "team") == "ml")
        #expect(n.canonicalValue("ops", key: "team") == "ops")
        #expect(n.canonicalValue("data-platform", key: "team") == "data-platform")
        // The folding is named in the reason.
        let tag = TagInferencer(vocabulary: n.vocabulary).infer(InferenceInput(spec: resource("i", tags: ["team": "data-eng"]))).tag("team")!
        #expect(tag.value == "data-platform")
        #expect(tag.reason == "native tag team=data-eng normalised to team=data-platform (data-eng taken for data-platform: 6 of 6 "
            + "resources tagged data-eng are in deployments whose other resources are tagged data-platform (a value from before a "
            + "rename, or a misspelling))")
    }

    @Test func withoutDeploymentsOrWithTooFewResourcesNothingIsTakenForAnotherValue() {
        let (tags, groups) = estate()
        let n = TagNormaliser.learning(from: tags, tables: .default, requiredKeys: VTag.defaultRequiredKeys)
        #expect(n.canonicalValue("data-eng", key: "team") == "data-eng")
        // Two of the stale tags only: too few to say.
        let few = tags.indices.filter { tags[$0]?["team"] != "data-eng" || $0 < 14 }
        let m = TagNormaliser.learning(from: few.map { tags[$0] }, tables: .default, requiredKeys: VTag.defaultRequiredKeys,
                                       groups: few.map { groups[$0] })
        #expect(m.canonicalValue("data-eng", key: "team") == "data-eng")
    }

    @Test func aStoredVocabularyWithoutFormerValuesStillLoads() throws {
        let (tags, groups) = estate()
        let vocabulary = TagNormaliser.learning(from: tags, tables: .default, requiredKeys: VTag.defaultRequiredKeys, groups: groups).vocabulary
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(vocabulary)) as! [String: Any]
        #expect(json["formers"] != nil)
        json["formers"] = nil
        let old = try JSONDecoder().decode(ValueVocabulary.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(old.formers.isEmpty)
        // Its forms fold what they folded when stored.
        #expect(old.form(of: "data-eng", key: "team") == "data-platform")
    }
}
