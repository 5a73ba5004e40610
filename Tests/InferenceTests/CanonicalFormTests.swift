import Foundation
import Testing
import TaggingAPI
@testable import Inference

/// Spellings of one value folded into the estate's usual form, and only when the estate makes it unambiguous.
@Suite struct CanonicalFormTests {
    func normaliser(_ estate: [[String: String]?]) -> TagNormaliser {
        TagNormaliser.learning(from: estate, tables: .default, requiredKeys: VTag.defaultRequiredKeys)
    }

    /// What inference makes of a resource carrying `tags`, with the vocabulary `n` learned.
    func inferred(_ n: TagNormaliser, _ tags: [String: String], key: String) -> InferredTag {
        TagInferencer(vocabulary: n.vocabulary).infer(InferenceInput(spec: resource("i", tags: tags))).tag(key)!
    }

    @Test func identifierSpellingsFoldIntoTheMostUsedForm() {
        var estate: [[String: String]?] = Array(repeating: ["CostCenter": "CC-1042"], count: 9)
        estate += Array(repeating: ["cost_center": "cc-1042"], count: 3)
        estate += [["CostCenter": "CC1042"], ["CostCenter": "1042"], ["CostCenter": "1042"], ["CostCenter": "CC-2077"]]
        estate += Array(repeating: ["cost_center": "3001"], count: 4)
        let n = normaliser(estate)
        for spelling in ["CC-1042", "cc-1042", "CC1042", "1042", "cc 1042"] {
            #expect(n.canonicalValue(spelling, key: "cost-center") == "CC-1042", "\(spelling)")
        }
        // A number only ever written bare, or never seen, is written the way the key writes identifiers.
        #expect(n.canonicalValue("3001", key: "cost-center") == "CC-3001")
        #expect(n.canonicalValue("5555", key: "cost-center") == "CC-5555")
        #expect(n.canonicalValue("cc5555", key: "cost-center") == "CC-5555")
        // Numbers one digit apart are two cost centres, never a typo of each other.
        #expect(n.canonicalValue("CC-1043", key: "cost-center") == "CC-1043")
        #expect(n.canonicalValue("2077", key: "cost-center") == "CC-2077")
        // The folding is named in the reason.
        let tag = inferred(n, ["CostCenter": "1042"], key: "cost-center")
        #expect(tag.value == "CC-1042")
        #expect(tag.reason == "native tag CostCenter=1042 normalised to cost-center=CC-1042 (1042 written as CC-1042, the estate's usual form)")
    }

    @Test func identifiersWithTwoPrefixesAreNotGuessed() {
        var estate: [[String: String]?] = Array(repeating: ["CostCenter": "CC-1042"], count: 6)
        estate += Array(repeating: ["CostCenter": "PRJ-1042"], count: 5)
        estate += [["CostCenter": "1042"]]
        let n = normaliser(estate)
        // A bare 1042 could be either: it stays as written.
        #expect(n.canonicalValue("1042", key: "cost-center") == "1042")
        #expect(n.canonicalValue("cc1042", key: "cost-center") == "CC-1042")
        #expect(n.canonicalValue("prj_1042", key: "cost-center") == "PRJ-1042")
    }

    @Test func suffixedNamesFoldIntoTheirBaseOnlyWhenItDominates() {
        var estate: [[String: String]?] = Array(repeating: ["team": "payments"], count: 40)
        estate += [["team": "payments-team"], ["team": "Payments_Team"], ["app": "ledger-svc"]]
        estate += Array(repeating: ["app": "ledger"], count: 30)
        // Two real teams that differ by a suffix, both common.
        estate += Array(repeating: ["team": "web"], count: 20) + Array(repeating: ["team": "web-app"], count: 12)
        let n = normaliser(estate)
        #expect(n.canonicalValue("payments-team", key: "team") == "payments")
        #expect(n.canonicalValue("ledger-svc", key: "application") == "ledger")
        #expect(n.canonicalValue("web-app", key: "team") == "web-app")
        let tag = inferred(n, ["team": "payments-team"], key: "team")
        #expect(tag.reason.contains("payments-team written as payments, the estate's usual name"), "\(tag.reason)")
    }

    /// An application nobody tags often (`payouts` twice) written once with a neutral suffix is the same
    /// application; as often written both ways, neither is the other's spelling.
    @Test func aRareSuffixedSpellingFoldsIntoARareBaseWrittenMoreOften() {
        var estate: [[String: String]?] = Array(repeating: ["app": "payouts"], count: 2) + [["app": "payouts-app"]]
        estate += [["app": "refunds"], ["app": "refunds-svc"]]
        estate += Array(repeating: ["app": "ledger"], count: 30)
        let n = normaliser(estate)
        #expect(n.canonicalValue("payouts-app", key: "application") == "payouts")
        #expect(n.canonicalValue("refunds-svc", key: "application") == "refunds-svc")
        #expect(n.canonicalValue("refunds", key: "application") == "refunds")
    }

    @Test func typosFoldOnlyWhenOneRealValueIsClose() {
        var estate: [[String: String]?] = Array(repeating: ["team": "payments"], count: 30)
        estate += [["team": "paymnets"]]
        // `payout` and `payouts` are both real; `payoutz` is one typo from each.
        estate += Array(repeating: ["app": "payouts"], count: 30) + Array(repeating: ["app": "payout"], count: 25)
        estate += [["app": "payoutz"], ["app": "payots"]]
        let n = normaliser(estate)
        #expect(n.canonicalValue("paymnets", key: "team") == "payments")
        #expect(n.canonicalValue("payout", key: "application") == "payout")
        #expect(n.canonicalValue("payoutz", key: "application") == "payoutz")
        let tag = inferred(n, ["team": "paymnets"], key: "team")
        #expect(tag.reason.contains("paymnets taken for a misspelling of payments"), "\(tag.reason)")
    }

    @Test func misspeltKeysFoldWhenTheEstateMakesThemUnambiguous() {
        var estate: [[String: String]?] = Array(repeating: ["Environment": "prod", "Application": "ledger"], count: 20)
        estate += [["Enviroment": "prod"], ["Aplication": "ledger"]]
        // A key used as often as the known one it resembles is a key of its own.
        estate += Array(repeating: ["Contract": "c-1"], count: 20) + Array(repeating: ["Contact": "a@example.com"], count: 20)
        let n = normaliser(estate)
        #expect(n.normalisedValues(["Enviroment": "prod"]) == ["env": "production"])
        #expect(n.normalisedValues(["Aplication": "ledger"]) == ["application": "ledger"])
        #expect(n.normalisedValues(["Contract": "c-1"]) == ["Contract": "c-1"])
        let tag = inferred(n, ["Enviroment": "prod"], key: "env")
        #expect(tag.reason.contains("key Enviroment taken for a misspelling of env"), "\(tag.reason)")
        // The vocabulary, with what it learned of keys and identifiers, survives the model's storage.
        let stored = try! JSONDecoder().decode(ValueVocabulary.self, from: try! JSONEncoder().encode(n.vocabulary))
        #expect(stored == n.vocabulary)
    }
}
