import Foundation
import TaggingAPI
import Testing

@Suite struct TaggingApprovalNamingTests {
    static func isDNSLabel(_ s: String) -> Bool {
        s.count <= 63 && s.range(of: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", options: .regularExpression) != nil
    }

    @Test func namesAreReadableDeterministicAndPerChunk() {
        let n0 = ApprovalNaming.name(key: "cost-center", value: "CC-1234", source: .model, rule: nil, chunk: 0)
        let hash = ApprovalNaming.groupHash(key: "cost-center", value: "CC-1234", source: .model, rule: nil)
        #expect(n0 == "cost-center-cc-1234-\(hash)-0")
        #expect(ApprovalNaming.name(key: "cost-center", value: "CC-1234", source: .model, rule: nil, chunk: 0) == n0)
        #expect(ApprovalNaming.name(key: "cost-center", value: "CC-1234", source: .model, rule: nil, chunk: 7) == "cost-center-cc-1234-\(hash)-7")
        #expect(hash.count == 10 && hash.allSatisfy(\.isHexDigit))
    }

    @Test func groupsThatDifferInAnyFieldGetDifferentHashes() {
        let base = ApprovalNaming.groupHash(key: "team", value: "a-b", source: .rule, rule: "r1")
        let others = [
            ApprovalNaming.groupHash(key: "team", value: "a-b", source: .rule, rule: "r2"),
            ApprovalNaming.groupHash(key: "team", value: "a-b", source: .model, rule: nil),
            ApprovalNaming.groupHash(key: "team", value: "A-B", source: .rule, rule: "r1"),
            ApprovalNaming.groupHash(key: "team-a", value: "b", source: .rule, rule: "r1"),
        ]
        #expect(Set(others + [base]).count == 5)
        // The hash of an existing approval comes from its spec.
        let spec = TagApprovalSpec(key: "team", value: "a-b", source: .rule, rule: "r1", resources: [])
        #expect(ApprovalNaming.groupHash(of: spec) == base)
        #expect(ApprovalNaming.name(of: spec, chunk: 2) == ApprovalNaming.name(key: "team", value: "a-b", source: .rule, rule: "r1", chunk: 2))
    }

    @Test(arguments: [
        ("application", String(repeating: "very-long-application-name-", count: 12)),
        (String(repeating: "k", count: 128), "v"),
        ("Ünïcode Kèy", "値"),
        ("team", ""),
        ("--", "--"),
    ])
    func anyKeyAndValueGiveAValidBoundedName(key: String, value: String) {
        for chunk in [0, 1, 12, 9999] {
            let name = ApprovalNaming.name(key: key, value: value, source: .inherited, rule: nil, chunk: chunk)
            #expect(Self.isDNSLabel(name), "\(name)")
            #expect(name.hasSuffix("-\(ApprovalNaming.groupHash(key: key, value: value, source: .inherited, rule: nil))-\(chunk)"))
        }
    }

    @Test func longKeysAndValuesKeepAPartOfBoth() {
        let name = ApprovalNaming.name(
            key: "application", value: String(repeating: "checkout-", count: 20), source: .model, rule: nil, chunk: 0)
        #expect(name.hasPrefix("application-checkout-"))
        #expect(name.count <= 63)
        let longKey = ApprovalNaming.name(key: String(repeating: "a", count: 100), value: "payments", source: .model, rule: nil, chunk: 0)
        #expect(longKey.contains("-payments-"))
    }
}
