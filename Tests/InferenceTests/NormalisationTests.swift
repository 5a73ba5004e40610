import Foundation
import Testing
import TaggingAPI
@testable import Inference

@Suite struct NormalisationTests {
    @Test func keySynonymsAndValueCanonicalisation() {
        let n = TagNormaliser(tables: .default, requiredKeys: VTag.defaultRequiredKeys)
        let out = n.normalisedValues([
            "Environment": "PRD", "owner_team": "payments", "Owner": "a@example.com", "cost_center": "CC-1",
            "App": "ledger", "Name": "web-01", "blank": "  ",
        ])
        #expect(out == ["env": "production", "team": "payments", "owner": "a@example.com", "cost-center": "CC-1",
                        "application": "ledger", "Name": "web-01"])
        #expect(n.normalisedValues(["stage": "stg"]) == ["env": "staging"])
        #expect(n.normalisedValues(["Env": "dev"]) == ["env": "development"])
        #expect(n.normalisedValues(["env": "QA"]) == ["env": "test"])
        #expect(n.normalisedValues(["CostCenter": "1", "cost-center": "2"]) == ["cost-center": "2"])
    }

    /// `Owner=TBD` says the owner is missing: the key is left open for inference, other keys keep placeholder-like words.
    @Test func placeholderValuesOfGovernanceKeysLeaveTheKeyMissing() {
        let n = TagNormaliser(tables: .default, requiredKeys: VTag.defaultRequiredKeys)
        #expect(n.normalisedValues(["Owner": "TBD", "team": "N/A", "cost_center": "-", "App": "unknown", "env": "prod"]) == ["env": "production"])
        #expect(n.normalisedValues(["backup": "none", "team": "nonexistent"]) == ["backup": "none", "team": "nonexistent"])
        let r = TagInferencer().infer(InferenceInput(spec: resource("r1", tags: ["Owner": "TBD"])))
        #expect(r.missingKeys.contains("owner"))
        #expect(r.tag("owner") == nil)
    }

    @Test func vocabularyFoldsVariantsToTheFormMostUsed() {
        var estate: [[String: String]?] = Array(repeating: ["team": "data-platform"], count: 12)
        estate += [["Team": "Data_Platform"], ["squad": "DATA-PLATFORM"], ["team": "data-platfrom"], ["team": "dta-platform"]]
        estate += Array(repeating: ["team": "Search"], count: 3) + [["team": "search"]]
        let n = TagNormaliser.learning(from: estate, tables: .default, requiredKeys: VTag.defaultRequiredKeys)
        #expect(n.normalisedValues(["Team": "Data_Platform"])["team"] == "data-platform")
        #expect(n.normalisedValues(["team": "DATA-PLATFORM"])["team"] == "data-platform")
        // One-typo variants of a much more common value.
        #expect(n.normalisedValues(["team": "data-platfrom"])["team"] == "data-platform")
        #expect(n.normalisedValues(["team": "dta-platform"])["team"] == "data-platform")
        // Majority spelling wins even when it is capitalised.
        #expect(n.normalisedValues(["team": "search"])["team"] == "Search")
        // Unknown values stay as written.
        #expect(n.normalisedValues(["team": "brand-new"])["team"] == "brand-new")
        let reason = TagInferencer(vocabulary: n.vocabulary).infer(InferenceInput(spec: resource("i", tags: ["squad": "DATA-PLATFORM"]))).tag("team")!
        #expect(reason.reason == "native tag squad=DATA-PLATFORM normalised to team=data-platform")
        #expect(reason.confidence == 0.98)
        #expect(reason.decision == .apply)
    }

    @Test func tablesAreDataAndOverridable() throws {
        let json = #"{"keySynonyms": {"Proj-Owner": "owner"}, "valueSynonyms": {"env": {"PROD-EU": "production"}}}"#
        let extra = try JSONDecoder().decode(NormalisationTables.self, from: Data(json.utf8))
        let tables = NormalisationTables.default.merging(extra)
        let n = TagNormaliser(tables: tables)
        #expect(n.normalisedValues(["proj_owner": "x", "env": "prod-eu"]) == ["owner": "x", "env": "production"])
        let config = try JSONDecoder().decode(InferenceConfig.self, from: Data(#"{"thresholds": {"autoApply": 0.95, "suggest": 0.5}}"#.utf8))
        #expect(config.thresholds.autoApply == 0.95)
        #expect(config.requiredKeys == VTag.defaultRequiredKeys)
    }

    @Test func nameTokens() {
        #expect(NameTokenizer.tokens("payments-ledger-prod-03") == ["payments", "ledger", "prod"])
        #expect(NameTokenizer.tokens("ledgerApiProd03") == ["ledger", "api", "prod"])
        #expect(NameTokenizer.tokens("LEDGER-PRD-API03") == ["ledger", "prd", "api"])
        #expect(NameTokenizer.tokens("HTTPServer_v2") == ["http", "server"])
        #expect(NameTokenizer.tokens("srv-7f3a9c2d") == ["srv"])
        #expect(NameTokenizer.tokens("i-0abc123def4567890") == [])
    }

    @Test func editDistance() {
        #expect(EditDistance.withinOne("payments", "paymnets"))
        #expect(EditDistance.withinOne("payments", "payment"))
        #expect(EditDistance.withinOne("payments", "paymentsx"))
        #expect(EditDistance.withinOne("payments", "paymants"))
        #expect(!EditDistance.withinOne("payments", "paymnts1"))
        #expect(!EditDistance.withinOne("search", "ledger"))
    }
}
