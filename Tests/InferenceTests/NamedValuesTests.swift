import Foundation
import Testing
import TaggingAPI
@testable import Inference

/// Values a resource's name carries, trusted per value by the tagged resources and measured by holding out accounts.
@Suite struct NamedValuesTests {
    func example(_ id: String, name: String, account: String, application: String?) -> TrainingExample {
        let spec = resource(id, name: name, account: account)
        return TrainingExample(
            id: spec.id, features: ResourceFeatures(spec: spec, knownTags: [:]),
            labels: application.map { ["application": $0] } ?? [:], account: account)
    }

    /// 60 tagged resources named after their application (`shop-ledger-prd-N`, `shop-card-vault-prd-N`) in twelve
    /// accounts; `vault` is tagged twice; `web` is a machine's role in every name and the application of a few.
    func examples() -> [TrainingExample] {
        var out: [TrainingExample] = []
        for i in 0..<60 {
            let app = i % 2 == 0 ? "ledger" : "card-vault"
            out.append(example("r\(i)", name: "shop-\(app)-prd-web-\(i)", account: "acct-\(i % 12)", application: app))
        }
        out.append(example("v1", name: "vault-api-1", account: "sec", application: "vault"))
        out.append(example("v2", name: "vault-api-2", account: "sec", application: "vault"))
        for i in 0..<4 { out.append(example("w\(i)", name: "web-\(i)", account: "acct-\(i)", application: "web")) }
        return out
    }

    @Test func aValueNamedAloneIsRightAsOftenAsTheRecordSays() throws {
        let named = NamedValues.learn(examples(), keys: ["application"], folds: 5)
        let record = try #require(named.records["application"]?[.name])
        // ledger and card-vault: 60 resources, each named once (`vault` gives way to `card-vault`), all right;
        // `web`, named by all 60 tagged with another value, never counts; the four `web-N` name nothing trusted.
        #expect(record.resources == 62 && record.agreeing == 62, "\(record)")
        #expect(record.confidence == IsotonicCalibration.wilsonLower(correct: 62, of: 62))
        let values = Set(try #require(named.candidates["application"]).map(\.value))
        #expect(values == ["ledger", "card-vault", "vault"])
    }

    @Test func containedValuesGiveWayAndTwoValuesSayNothing() throws {
        let named = NamedValues.learn(examples(), keys: ["application"], folds: 5)
        func features(_ name: String) -> [String] { ResourceFeatures(spec: resource("x", name: name, account: "new"), knownTags: [:]).base }
        #expect(named.implied(key: "application", features: features("team-card-vault-dev-03"))?.value == "card-vault")
        // A rarely tagged value is named all the same: the record is the key's, not the value's.
        #expect(named.implied(key: "application", features: features("vaultProd01"))?.value == "vault")
        #expect(named.implied(key: "application", features: features("ledger-card-vault-1")) == nil)
        #expect(named.implied(key: "application", features: features("web-frontend-1")) == nil)
        #expect(named.implied(key: "team", features: features("ledger-1")) == nil)
    }

    /// Name words drop numbers: a cost centre `CC-41234` is not named by a name with the word `cc` in it, however
    /// often the resources so named have it.
    @Test func valuesWithNumbersAreNotCandidates() {
        let examples = (0..<40).map { i in
            let spec = resource("c\(i)", name: "cc-runner-\(i)", account: "acct-\(i % 8)")
            return TrainingExample(
                id: spec.id, features: ResourceFeatures(spec: spec, knownTags: [:]),
                labels: ["cost-center": "CC-41234"], account: spec.account)
        }
        let named = NamedValues.learn(examples, keys: ["cost-center"], folds: 5)
        #expect(named.candidates["cost-center"] == nil && named.records["cost-center"] == nil)
    }

    /// Through the inferencer: a model whose naive Bayes tables are empty, so what fills the key is the name.
    @Test func usedByInferenceAndNamedInTheReason() throws {
        let model = TagModel(namedValues: NamedValues.learn(examples(), keys: ["application"], folds: 5))
        let inferencer = TagInferencer(model: model)
        let r = inferencer.infer(InferenceInput(spec: resource("new", name: "billing-ledger-stg-7", account: "elsewhere")))
        let app = try #require(r.tag("application"))
        #expect(app.value == "ledger")
        #expect(app.decision == .apply)
        #expect(app.reason.contains("the name carries application=ledger; a value named there was right on 62 of 62"), "\(app.reason)")
        let denied = inferencer.infer(InferenceInput(
            spec: resource("new", name: "billing-ledger-stg-7", account: "elsewhere"), rejected: [RejectedTag(key: "application", value: "ledger")]))
        #expect(denied.tag("application") == nil)
    }

    /// Stored in the model's ConfigMap: read back, it names the same values.
    @Test func survivesTheModelsJSON() throws {
        let model = TagModel(namedValues: NamedValues.learn(examples(), keys: ["application"], folds: 5))
        let json = try JSONEncoder().encode(model)
        #expect(String(decoding: json, as: UTF8.self).contains("\"records\":{\"application\":{\"name\":"))
        let read = try JSONDecoder().decode(TagModel.self, from: json)
        #expect(read.namedValues == model.namedValues)
        let features = ResourceFeatures(spec: resource("x", name: "team-card-vault-dev-03", account: "new"), knownTags: [:]).base
        #expect(read.namedValues.implied(key: "application", features: features)?.value == "card-vault")
    }
}
