import Foundation
import Testing
import TaggingAPI
@testable import Inference

/// Applications named where the estate's naming convention puts them (see `NameSlots`).
@Suite struct NameSlotsTests {
    let env = NameSlots.envWords(.default)

    func words(_ name: String) -> [String] { NameTokenizer.tokens(name) }

    @Test func theWordsBetweenATeamsNameAndAnEnvironmentWordAreTheApplication() {
        let teams = [["data", "platform"], ["catalog"], ["payments"], ["data"]]
        #expect(NameSlots.candidate(words("catalog-stock-prd-web-01"), teams: teams, envWords: env, known: []) == "stock")
        #expect(NameSlots.candidate(words("payments-payments-api-prod-lb"), teams: teams, envWords: env, known: []) == "payments-api")
        // The longer team name wins: `data-platform`, not `data`.
        #expect(NameSlots.candidate(words("data-platform-warehouse-production-lb"), teams: teams, envWords: env, known: [])
            == "warehouse")
        // No environment word after the team's name, or nothing between them: no slot.
        #expect(NameSlots.candidate(words("catalog-stock-web-01"), teams: teams, envWords: env, known: []) == nil)
        #expect(NameSlots.candidate(words("catalog-prod-web-01"), teams: teams, envWords: env, known: []) == nil)
        // `search-api-prod`: a known application starts with the team's name and the slot's first word.
        #expect(NameSlots.candidate(words("search-api-prod-web"), teams: [["search"]], envWords: env, known: ["searchapi"]) == nil)
        #expect(NameSlots.candidate(words("search-api-prod-web"), teams: [["search"]], envWords: env, known: []) == "api")
        // A word teams append without naming anything is no application.
        #expect(NameSlots.candidate(words("catalog-app-prod-web-01"), teams: teams, envWords: env, known: []) == nil)
        #expect(NameSlots.candidate(words("catalog-stock-svc-prod-web-01"), teams: teams, envWords: env, known: []) == "stock-svc")
    }

    /// Teams `catalog` and `search`, kebab names `<team>-<application>-<env>-<role>-<n>`; `search-api`'s names (10) start
    /// with its team's. `stock`'s resources carry no application tag.
    func estate() -> [InferenceInput] {
        var inputs: [InferenceInput] = []
        let applications = [("catalog", "catalog-api"), ("catalog", "images"), ("search", "indexer"), ("search", "search-api")]
        for (team, application) in applications {
            for i in 0..<(application == "search-api" ? 10 : 30) {
                let name = application == "search-api" ? "search-api-prod-web-\(i)" : "\(team)-\(application)-prod-web-\(i)"
                inputs.append(InferenceInput(spec: resource("\(application)-\(i)", name: name, account: "acct-\(i % 5)",
                                                            tags: ["team": team, "application": application, "env": "production"])))
            }
        }
        for i in 0..<10 {
            inputs.append(InferenceInput(spec: resource("stock-\(i)", name: "catalog-stock-prod-web-\(i)", account: "acct-\(i % 5)",
                                                        tags: ["team": "catalog", "env": "production"])))
        }
        return inputs
    }

    @Test func theSlotsRecordJudgesEachApplicationAsOneNobodyTagged() throws {
        let model = EstateInference.learn(estate())
        let record = try #require(model.nameSlots.record)
        // 90 of 100 tagged resources have a slot holding their application; search-api's 10 (judged as if
        // search-api were unknown) read `api`.
        #expect(record.resources == 100 && record.agreeing == 90, "\(record)")
        #expect(record.confidence == IsotonicCalibration.wilsonLower(correct: 90, of: 100))
        // Team search's names held on 30 of 40 (indexer's, not search-api's): below the estate's record, so search is
        // judged by its own, too low to read a slot; catalog's held on all of theirs and keep the estate's.
        #expect(model.nameSlots.teamRecords.keys.sorted() == ["search"])
        let search = try #require(model.nameSlots.teamRecords["search"])
        #expect(search.agreeing == 30 && search.resources == 40 && search.confidence < NameSlots.minimumConfidence)
        let ranking = TagInferencer(model: model).infer(InferenceInput(spec: resource(
            "new", name: "search-ranking-prod-web-99", account: "acct-1"))).tag("application")
        #expect(ranking?.value != "ranking", "\(String(describing: ranking))")
    }

    @Test func anApplicationNobodyTaggedIsFilledFromItsSlot() throws {
        let model = EstateInference.learn(estate())
        let inferencer = TagInferencer(model: model)
        let stock = try #require(inferencer.infer(InferenceInput(spec: resource(
            "new", name: "catalog-stock-prod-web-99", account: "acct-1"))).tag("application"))
        #expect(stock.value == "stock" && stock.confidence == model.nameSlots.record!.confidence, "\(stock)")
        #expect(stock.reason.contains("the name puts application=stock between its team and its environment"), "\(stock.reason)")
        // A known application is read as naive Bayes and the slot agree.
        let known = try #require(inferencer.infer(InferenceInput(spec: resource(
            "new2", name: "search-api-prod-web-99", account: "acct-1"))).tag("application"))
        #expect(known.value == "search-api")
        // A model stored before the slot was learned reads none.
        let data = try JSONEncoder().encode(model)
        var json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        json["nameSlots"] = nil
        let older = try JSONDecoder().decode(TagModel.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(older.nameSlots.record == nil && older.nameSlots.teamRecords.isEmpty)
    }
}
