import Foundation
import Testing
import TaggingAPI
@testable import Discovery

@Suite("Simulated estate generator")
struct SimulatedEstateTests {
    @Test("SplitMix64 and xoshiro256** match their reference implementations")
    func randomKnownAnswers() {
        // SplitMix64 from state 0 (Vigna's reference outputs), then xoshiro256** seeded with 12345
        // through SplitMix64, computed with the reference algorithm in Python.
        var x: UInt64 = 0
        #expect([SeededRandom.splitMix64(&x), SeededRandom.splitMix64(&x), SeededRandom.splitMix64(&x)]
            == [0xe220_a839_7b1d_cdaf, 0x6e78_9e6a_a1b9_65f4, 0x06c4_5d18_8009_454f])
        var rng = SeededRandom(seed: 12345)
        #expect((0..<5).map { _ in rng.next() }
            == [0xbe6a_3637_4160_d49b, 0x214a_aa06_37a6_88c6, 0xf69d_16de_9954_d388, 0x0c60_048c_4e96_e033, 0x8e20_76ae_ed51_c648])
    }

    @Test("below(n) stays in range and reaches every value")
    func boundedDraws() {
        var rng = SeededRandom(seed: 9)
        var seen = Set<Int>()
        for _ in 0..<2000 {
            let v = rng.below(7)
            #expect((0..<7).contains(v))
            seen.insert(v)
        }
        #expect(seen.count == 7)
    }

    @Test("the same seed gives the same estate; another seed a different one")
    func deterministic() {
        let a = EstateGenerator(seed: 11, count: 600).generate()
        let b = EstateGenerator(seed: 11, count: 600).generate()
        let c = EstateGenerator(seed: 12, count: 600).generate()
        #expect(a == b)
        #expect(a.map(\.spec.id) != c.map(\.spec.id))
    }

    @Test("exactly count resources, with unique ids, in pages that concatenate to the estate")
    func countsAndPages() {
        let g = EstateGenerator(seed: 3, count: 1234)
        let all = g.generate()
        #expect(all.count == 1234)
        #expect(Set(all.map(\.spec.id)).count == all.count)
        let pages = Array(g.pages(size: 500))
        #expect(pages.count == 3)
        #expect(pages.dropLast().allSatisfy { $0.count == 500 })
        #expect(pages.flatMap { $0 } == all)
        #expect(EstateGenerator(seed: 3, count: 0).generate().isEmpty)
    }

    @Test("every resource has the truth of every required key")
    func groundTruth() {
        for r in EstateGenerator(seed: 5, count: 800).generate() {
            for key in EstateVocabulary.requiredKeys {
                #expect(!(r.truth[key] ?? "").isEmpty, "\(r.spec.id) lacks truth for \(key)")
            }
            #expect(EstateVocabulary.envValueSpellings.keys.contains(r.truth["env"]!))
        }
    }

    @Test("only the clouds asked for, with their resource types and id shapes")
    func cloudsAndIDs() {
        let aws = EstateGenerator(seed: 1, count: 400, clouds: ["aws"]).generate()
        #expect(aws.allSatisfy { $0.spec.provider == "aws" && $0.spec.id.hasPrefix("arn:aws:") })
        // The simulated estates model the six types the original inventory agent listed (the inference
        // figures in the README are measured on them), all of them types discovery lists.
        let simulated: Set = ["ec2:instance", "ec2:volume", "rds:db", "s3:bucket", "elbv2:loadbalancer", "lambda:function"]
        #expect(Set(aws.map(\.spec.type)) == simulated)
        #expect(simulated.isSubset(of: AWSDiscoverySettings.allServices))
        #expect(aws.allSatisfy { $0.spec.account?.count == 12 && $0.spec.account!.allSatisfy(\.isNumber) })

        let gcp = EstateGenerator(seed: 1, count: 400, clouds: ["gcp"]).generate()
        #expect(gcp.allSatisfy { $0.spec.provider == "gcp" && $0.spec.id.hasPrefix("//") })
        #expect(Set(gcp.map(\.spec.type)).isSuperset(of: ["compute:instance", "compute:disk", "storage:bucket", "sql:instance"]))
        // GCP labels: lower-case keys and values only.
        for r in gcp { for (k, v) in r.spec.nativeTags ?? [:] { #expect(k == k.lowercased() && v == v.lowercased()) } }

        let azure = EstateGenerator(seed: 1, count: 400, clouds: ["azure"]).generate()
        #expect(azure.allSatisfy { $0.spec.provider == "azure" && $0.spec.id.hasPrefix("/subscriptions/") })
        #expect(Set(azure.map(\.spec.type)).isSuperset(of: [
            "compute:virtualmachine", "compute:disk", "storage:account", "resources:resourcegroup",
        ]))
    }

    @Test("relations point at resources that came earlier, which share the child's truth")
    func relations() {
        let all = EstateGenerator(seed: 21, count: 1200).generate()
        var seen: [String: SimulatedResource] = [:]
        var attached = 0
        for r in all {
            for rel in r.spec.relations ?? [] where rel.type == "AttachedTo" || rel.type == "MemberOf" {
                let parent = seen[rel.target]
                #expect(parent != nil, "\(r.spec.id) \(rel.type) \(rel.target) not seen before")
                #expect(parent?.truth == r.truth)
                attached += 1
            }
            seen[r.spec.id] = r
        }
        #expect(attached > 100)
    }

    @Test("clean options tag every key with a spelling of the truth")
    func cleanEstate() {
        let spellings = EstateVocabulary.allKeySpellings
        for r in EstateGenerator(seed: 8, count: 500, options: .clean).generate() {
            let tags = r.spec.nativeTags ?? [:]
            for key in EstateVocabulary.requiredKeys where !(r.spec.provider == "gcp" && key == "owner") {
                let present = tags.filter { spellings[key]!.contains($0.key) }
                #expect(present.count == 1, "\(r.spec.id) \(key): \(tags)")
                guard let value = present.first?.value else { continue }
                if key == "env" {
                    #expect(EstateVocabulary.envValueSpellings[r.truth["env"]!]!.map { $0.lowercased() }.contains(value.lowercased()))
                } else {
                    #expect(value == r.truth[key]!.lowercased() || value == r.truth[key]!)
                }
            }
        }
    }

    @Test("an untagged estate has no governance tags at all")
    func untaggedEstate() {
        let spellings = Set(EstateVocabulary.allKeySpellings.values.flatMap { $0 })
        let all = EstateGenerator(seed: 8, count: 500, options: EstateOptions(taggedShare: 0)).generate()
        #expect(all.allSatisfy { Set(($0.spec.nativeTags ?? [:]).keys).isDisjoint(with: spellings) })
    }

    @Test("the default estate is messy: partial tagging, synonyms, variants, several naming conventions")
    func realisticNoise() {
        let all = EstateGenerator(seed: 42, count: 2000).generate()
        let spellings = EstateVocabulary.allKeySpellings
        let tagged = all.filter { r in (r.spec.nativeTags ?? [:]).keys.contains { spellings["team"]!.contains($0) } }
        let share = Double(tagged.count) / Double(all.count)
        #expect(share > 0.2 && share < 0.7, "team tagged on \(share)")
        let teamKeys = Set(all.flatMap { ($0.spec.nativeTags ?? [:]).keys.filter { spellings["team"]!.contains($0) } })
        #expect(teamKeys.count >= 3)
        let envValues = Set(all.flatMap { r in (r.spec.nativeTags ?? [:]).filter { spellings["env"]!.contains($0.key) }.map(\.value) })
        #expect(envValues.count >= 6)
        let names = all.compactMap(\.spec.name)
        #expect(names.contains { $0.contains("_") })  // snake_case
        #expect(names.contains { $0.contains { $0.isUppercase } && $0.contains { $0.isLowercase } && !$0.contains("-") })  // camelCase
        #expect(names.contains { $0.split(separator: "-").count >= 4 })  // team-app-env-nn
        #expect(all.contains { $0.spec.name == nil })  // unnamed instances
    }

    @Test("real-world options add identifier spellings, misspelt keys, suffixed names, stale names after renames and placeholders")
    func realWorldPhenomena() {
        let all = EstateGenerator(seed: 42, count: 3000, options: .realWorld).generate()
        let spellings = EstateVocabulary.allKeySpellings
        let known = Set(spellings.values.flatMap { $0 })
        // Cost centres: the truth is CC-<digits>; tags write it several ways, each a spelling of the truth.
        #expect(all.allSatisfy { $0.truth["cost-center"]!.hasPrefix("CC-") })
        var costCenterSpellings = Set<String>()
        var staleTeams = 0, suffixed = 0, placeholders = 0
        for r in all {
            for (k, v) in r.spec.nativeTags ?? [:] {
                if ["TBD", "tbd", "unknown", "n_a", "N/A", "none", "TODO", "todo", "-", ""].contains(v) { placeholders += 1 }
                if spellings["cost-center"]!.contains(k), v.filter(\.isNumber) == r.truth["cost-center"]!.filter(\.isNumber) {
                    costCenterSpellings.insert(v.replacingOccurrences(of: v.filter(\.isNumber), with: "N"))
                }
                if spellings["team"]!.contains(k) {
                    if v.lowercased().hasSuffix("team") || v.lowercased().hasSuffix("squad") { suffixed += 1 }
                    if EstateVocabulary.teams.contains(where: { $0.name == r.truth["team"] && $0.formerName == v }) { staleTeams += 1 }
                }
            }
        }
        #expect(costCenterSpellings.isSuperset(of: ["CC-N", "N"]), "\(costCenterSpellings)")
        #expect(costCenterSpellings.count >= 4, "\(costCenterSpellings)")
        #expect(suffixed > 10)
        #expect(staleTeams > 10)
        #expect(placeholders > 20)
        // Misspelt keys: one edit from a known spelling, never one of them.
        let typoKeys = Set(all.flatMap { ($0.spec.nativeTags ?? [:]).keys.filter { k in
            !known.contains(k) && known.contains { $0.count > 3 && abs($0.count - k.count) <= 1 && $0.lowercased().first == k.lowercased().first }
        } })
        #expect(typoKeys.count >= 3, "\(typoKeys)")
    }

    @Test("team-owned accounts hold one team's resources; shared accounts several")
    func accountsFollowTeams() {
        let all = EstateGenerator(seed: 42, count: 2500).generate()
        var teamsByAccount: [String: Set<String>] = [:]
        for r in all { teamsByAccount[r.spec.account!, default: []].insert(r.truth["team"]!) }
        let single = teamsByAccount.values.filter { $0.count == 1 }.count
        let multi = teamsByAccount.values.filter { $0.count > 1 }.count
        #expect(single > multi * 3)
        #expect(multi >= 2 && multi <= 6)  // shared services and sandbox, per cloud
    }
}
