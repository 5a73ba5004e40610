import Foundation
import Testing
import TaggingAPI
@testable import Inference

/// Values an account's tagged resources agree on (see `AccountValues`).
@Suite struct AccountValuesTests {
    static let teams = ["payments", "search", "mailer", "billing", "catalog", "identity", "ledger", "media"]
    /// A word per deployment (names drop digits: `svc1` and `svc2` would be one deployment).
    static let words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]

    /// Eight teams, each in an account of its own, with `deployments` deployments of 10 resources each (a name of
    /// their own per deployment, so each is a held-out group); the first `tagged` deployments carry their team and
    /// cost centre.
    static func estate(deployments: Int = 8, tagged: Int = 6, extra: [CloudResourceSpec] = []) -> [CloudResourceSpec] {
        var specs: [CloudResourceSpec] = []
        for (t, team) in teams.enumerated() {
            for d in 0..<deployments {
                for i in 0..<10 {
                    specs.append(resource(
                        "r-\(team)-\(d)-\(i)", name: "\(words[t])\(words[d])-node-\(i)", account: "acct-\(team)",
                        tags: d < tagged ? ["team": team, "cost-center": "CC-\(1000 + t)"] : [:]))
                }
            }
        }
        return specs + extra
    }

    /// A team's account: its tagged resources agree on the team, measured on the other deployments (every one
    /// was right), at the record of its support.
    @Test func anAccountsTaggedResourcesThatAgreeGiveItsTeamAtTheirSupportsRecord() throws {
        let model = EstateInference.learn(Self.estate().map { InferenceInput(spec: $0) })
        let found = try #require(model.accountValues.values["team"]?["acct-search"])
        #expect(found.value == "search")
        #expect(found.agreeing == 60 && found.resources == 60)
        let record = try #require(model.accountValues.records["team"]?[AccountValues.bucket(60)!])
        #expect(record.agreeing == record.resources)
        #expect(found.confidence == record.confidence)
        #expect(found.confidence == IsotonicCalibration.wilsonLower(correct: Double(record.agreeing), of: Double(record.resources)))
        let reliability = try #require(model.accountValues.reliability["team"])
        #expect(reliability.agreeing == reliability.resources)
        let implied = try #require(model.accountValues.implied(key: "team", account: "acct-search"))
        #expect(implied.found == found)
        #expect(model.accountValues.implied(key: "team", account: "acct-unknown") == nil)
    }

    /// With nothing else to go on, an untagged resource gets its account's value, with both counts in the reason;
    /// a value the resource's team was denied is not offered.
    @Test func anUntaggedResourceGetsTheValueItsAccountsTaggedResourcesAgreeOn() throws {
        let record = AgreedValue(value: "10", agreeing: 300, resources: 302, confidence: 0.98)
        let model = TagModel(accountValues: AccountValues(
            values: ["team": ["acct-search": AgreedValue(value: "search", agreeing: 12, resources: 12, confidence: 0.98)]],
            records: ["team": [nil, nil, record, nil]]))
        let stranger = resource("new", name: "zzz-unheard-1", account: "acct-search")
        let tag = try #require(TagInferencer(model: model).infer(InferenceInput(spec: stranger)).tag("team"))
        #expect(tag.value == "search")
        #expect(tag.confidence == 0.98)
        #expect(tag.decision == .apply)
        #expect(tag.reason.contains("account acct-search's tagged resources have team=search on 12 of 12"))
        #expect(tag.reason.contains("right on 300 of 302"))
        #expect(tag.reason.contains("accounts with 10-19 tagged"))

        var denied = InferenceInput(spec: stranger)
        denied.rejected = [RejectedTag(key: "team", value: "search")]
        #expect(TagInferencer(model: model).infer(denied).tag("team")?.value != "search")
        let elsewhere = resource("other", name: "zzz-unheard-2", account: "acct-other")
        #expect(TagInferencer(model: model).infer(InferenceInput(spec: elsewhere)).tag("team") == nil)
    }

    /// A shared account, tagged resources of two teams: it says nothing of its team, and nothing of a key its
    /// tagged resources do agree on (the cost centre of the one team that tags it there).
    @Test func anAccountWhoseTaggedResourcesDisagreeSaysNothing() throws {
        var extra: [CloudResourceSpec] = []
        for i in 0..<40 {
            let team = i < 20 ? "payments" : "search"
            extra.append(resource("shared-\(i)", name: "shared\(i % 3)-box-\(i)", account: "acct-shared",
                                  tags: ["team": team, "cost-center": i < 20 ? "CC-1001" : ""]))
        }
        let estate = Self.estate(extra: extra)
        let model = EstateInference.learn(estate.map { InferenceInput(spec: $0) })
        #expect(model.accountValues.values["team"]?["acct-shared"] == nil)
        #expect(model.accountValues.values["cost-center"]?["acct-shared"] == nil)
        #expect(model.accountValues.implied(key: "team", account: "acct-shared") == nil)
        #expect(model.accountValues.values["team"]?["acct-payments"] != nil)
        #expect(model.accountValues.values["cost-center"]?["acct-payments"]?.value == "CC-1000")
    }

    /// An account of which a sliver is tagged (25 of 600: one team's handful in a platform account) says nothing,
    /// though as many tagged resources say their team's account (60 of 80).
    @Test func anAccountOnlyASliverOfWhichIsTaggedSaysNothing() throws {
        var extra: [CloudResourceSpec] = []
        for i in 0..<600 {
            extra.append(resource("plat-\(i)", name: "plat-vm-\(i)", account: "acct-platform",
                                  tags: i < 25 ? ["team": "media"] : [:]))
        }
        let model = EstateInference.learn(Self.estate(extra: extra).map { InferenceInput(spec: $0) })
        #expect(model.accountValues.values["team"]?["acct-platform"] == nil)
        #expect(model.accountValues.values["team"]?["acct-media"] != nil)
    }

    /// In an estate whose accounts each hold every team, the accounts say nothing of the team.
    @Test func accountsThatDoNotFollowTheKeySayNothingOfIt() throws {
        var specs: [CloudResourceSpec] = []
        for a in 0..<6 {
            for (t, team) in Self.teams.enumerated() {
                for i in 0..<8 {
                    specs.append(resource("r-\(a)-\(team)-\(i)", name: "svc\(t)x\(a)-node-\(i)", account: "acct-\(a)",
                                          tags: ["team": team]))
                }
            }
        }
        let model = EstateInference.learn(specs.map { InferenceInput(spec: $0) })
        #expect(model.accountValues.records["team"] == nil)
        #expect(model.accountValues.values["team"] == nil)
    }

    /// The resource's own evidence wins: its name carries team `mailer` (at a suggestion's confidence), and the
    /// account's surer `search` is not offered over it; a name that carries nothing leaves the account's value.
    @Test func anAccountsValueNeverOverridesWhatTheResourceItselfSays() throws {
        let model = TagModel(
            namedValues: NamedValues(
                candidates: ["team": [NamedValues.Candidate(value: "mailer", words: ["mailer"])]],
                records: ["team": [.name: AgreedValue(value: "name", agreeing: 80, resources: 100, confidence: 0.75)]]),
            accountValues: AccountValues(
                values: ["team": ["acct-search": AgreedValue(value: "search", agreeing: 12, resources: 12, confidence: 0.98)]],
                records: ["team": [nil, nil, AgreedValue(value: "10", agreeing: 300, resources: 302, confidence: 0.98), nil]]))
        let inferencer = TagInferencer(model: model)
        let named = resource("named", name: "mailer-box-1", account: "acct-search")
        let own = try #require(inferencer.infer(InferenceInput(spec: named)).tag("team"))
        #expect(own.value == "mailer")
        #expect(own.decision == .suggest)
        let plain = resource("plain", name: "zzz-box-1", account: "acct-search")
        #expect(inferencer.infer(InferenceInput(spec: plain)).tag("team")?.value == "search")
    }

    /// The learned values survive the model's encoding.
    @Test func theValuesAreStoredWithTheModel() throws {
        let model = EstateInference.learn(Self.estate().map { InferenceInput(spec: $0) })
        #expect(!model.accountValues.values.isEmpty)
        let data = try JSONEncoder().encode(model)
        let decoded = try JSONDecoder().decode(TagModel.self, from: data)
        #expect(decoded.accountValues == model.accountValues)
    }
}
