import Cost
import Foundation
import Testing
import TaggingAPI

@Suite struct CostAllocationTests {
    let generated = GeneratedFOCUS.make()

    @Test func teamCostsMatchTheGeneratorsBookkeepingAndAddUpToTheTotal() throws {
        let path = try temporaryFile("focus.csv", Data(generated.csv.utf8))
        let (a, summary) = try allocate(path, keys: ["team"], resources: generated.resources)
        #expect(summary.problemCount == 0)
        #expect(summary.rows == generated.rows)
        #expect(a.rows == generated.rows)
        #expect(a.total == generated.total)
        #expect(a.allocated + a.unallocated == a.total)
        #expect(Dictionary(uniqueKeysWithValues: a.groups.map { ($0.values[0], $0.cost) }) == generated.byTeam)
        for (month, teams) in generated.byMonthTeam {
            for (team, cost) in teams {
                #expect(a.groups.first { $0.values == [team] }?.months[month] == cost, "\(month) \(team)")
            }
        }
        #expect(a.months.map(\.month) == ["2026-01", "2026-02", "2026-03"])
        for m in a.months { #expect(m.allocated + m.unallocated == m.total) }
        #expect(a.months.reduce(Decimal.zero) { $0 + $1.total } == a.total)
    }

    @Test func eachKeysShareIsSplitBySourceOfItsValue() throws {
        let path = try temporaryFile("focus.csv", Data(generated.csv.utf8))
        let (a, _) = try allocate(path, keys: ["team", "env"], resources: generated.resources)
        let team = try #require(a.keys.first { $0.key == "team" })
        #expect(team.bySource == Dictionary(uniqueKeysWithValues: generated.teamBySource.map { ($0.key.rawValue, $0.value) }))
        #expect(team.allocated + team.unallocated == a.total)
        #expect(Set(team.bySource.keys) == Set(TagSource.allCases.map(\.rawValue)))
        let env = try #require(a.keys.first { $0.key == "env" })
        #expect(env.allocated + env.unallocated == a.total)
        // A group needs a value for every key.
        #expect(Dictionary(uniqueKeysWithValues: a.groups.map { ($0.values.joined(separator: "/"), $0.cost) }) == generated.byTeamEnv)
        #expect(a.allocated + a.unallocated == a.total)
    }

    @Test func unallocatedCostIsSplitByReasonWithTheLargestResourcesFirst() throws {
        let path = try temporaryFile("focus.csv", Data(generated.csv.utf8))
        let (a, _) = try allocate(path, keys: ["team"], resources: generated.resources)
        let r = a.unallocatedReasons
        #expect(r.noResourceId.cost == generated.noResourceId && r.noResourceId.rows == generated.noResourceIdRows)
        #expect(r.resourceNotFound.cost == generated.unknown && r.resourceNotFound.rows == generated.unknownRows)
        #expect(r.missingKeys.cost == generated.withoutTeam && r.missingKeys.rows == generated.withoutTeamRows)
        #expect(r.noResourceId.cost + r.resourceNotFound.cost + r.missingKeys.cost == a.unallocated)
        #expect(Dictionary(uniqueKeysWithValues: a.unallocatedResources.map { ($0.resourceId, $0.cost) }) == generated.unallocatedByResource)
        #expect(a.unallocatedResources.map(\.cost) == a.unallocatedResources.map(\.cost).sorted(by: >))
        let missing = try #require(a.unallocatedResources.first { $0.reason != "not found" })
        #expect(missing.reason == "missing team")
    }

    @Test func billedCostColumnIsReadWhenAsked() throws {
        let path = try temporaryFile("focus.csv", Data(generated.csv.utf8))
        let (a, summary) = try allocate(path, keys: ["team"], resources: generated.resources, column: .billedCost)
        // The generator writes BilledCost as 1 or NULL: every NULL is an unusable row, reported, not counted.
        let ones = generated.csv.split(separator: "\n").dropFirst().count { $0.hasPrefix("1,") }
        #expect(a.total == Decimal(ones))
        #expect(summary.problemCount == generated.rows - ones)
        #expect(summary.problems.first?.reason.contains("BilledCost is empty") == true)
    }

    @Test func gzipFilesGiveTheSameFiguresAsTheirCSV() throws {
        let data = Data(generated.csv.utf8)
        let plain = try allocate(try temporaryFile("focus.csv", data), keys: ["team"], resources: generated.resources)
        let gz = try allocate(try temporaryFile("focus.csv.gz", try gzipped(data)), keys: ["team"], resources: generated.resources)
        #expect(gz.summary.compressed)
        #expect(gz.allocation.total == plain.allocation.total)
        #expect(gz.allocation.groups.map(\.cost) == plain.allocation.groups.map(\.cost))
        #expect(gz.allocation.unallocated == plain.allocation.unallocated)

        // Two gzip members one after the other (`cat a.gz b.gz`) are one file.
        let lines = generated.csv.split(separator: "\n", omittingEmptySubsequences: false)
        let half = lines.count / 2
        let first = lines[..<half].joined(separator: "\n") + "\n"
        let second = lines[half...].joined(separator: "\n")
        let joined = try gzipped(Data(first.utf8)) + gzipped(Data(second.utf8))
        let members = try allocate(try temporaryFile("two.csv.gz", joined), keys: ["team"], resources: generated.resources)
        #expect(members.allocation.total == plain.allocation.total)
        #expect(members.allocation.rows == plain.allocation.rows)
    }

    @Test func aTruncatedGzipFileIsAnErrorNotASmallerTotal() throws {
        let gz = try gzipped(Data(generated.csv.utf8))
        let path = try temporaryFile("cut.csv.gz", gz.prefix(gz.count * 2 / 3))
        #expect {
            _ = try allocate(path, keys: ["team"], resources: generated.resources)
        } throws: { error in
            (error as? CostError)?.reason.contains("ends early") == true
        }
        var corrupt = gz
        corrupt[gz.count / 2] ^= 0xFF
        corrupt[gz.count / 2 + 1] ^= 0xFF
        let bad = try temporaryFile("bad.csv.gz", corrupt)
        #expect(throws: CostError.self) { _ = try allocate(bad, keys: ["team"], resources: generated.resources) }
    }

    @Test func badRowsAreReportedWithTheirLineAndTheRestIsCounted() throws {
        let csv = """
            ResourceId,EffectiveCost,ChargePeriodStart
            a,1.50,2026-01-01T00:00:00Z
            b,one dollar,2026-01-01T00:00:00Z
            c,2.25,yesterday
            d,3.00
            "e,4.00,2026-01-02T00:00:00Z
            """
        let path = try temporaryFile("bad.csv", Data(csv.utf8))
        let (a, summary) = try allocate(path, keys: ["team"], resources: [])
        #expect(a.total == Decimal(string: "1.50"))
        #expect(summary.rows == 5)
        #expect(summary.problems.map(\.line) == [3, 4, 5, 6])
        #expect(summary.problems[0].description.contains("line 3: EffectiveCost \"one dollar\" is not a number"))
        #expect(summary.problems[1].reason.contains("ChargePeriodStart"))
        #expect(summary.problems[2].reason.contains("2 fields"))
    }

    @Test func aFileWithoutTheFOCUSColumnsIsRefusedWithWhatItLacks() throws {
        let path = try temporaryFile("inventory.csv", Data("provider,id,type\naws,i-1,ec2:instance\n".utf8))
        #expect {
            _ = try allocate(path, keys: ["team"], resources: [])
        } throws: { error in
            let text = (error as? CostError)?.description ?? ""
            return text.contains("not a FOCUS export") && text.contains("ResourceId, EffectiveCost, ChargePeriodStart column")
        }
        #expect(throws: CostError.self) { _ = try allocate("/nonexistent/focus.csv", keys: ["team"], resources: []) }
    }

    @Test func amountsAreReadExactly() throws {
        let csv = "ResourceId,EffectiveCost,ChargePeriodStart\n" + Array(repeating: "x,0.1,2026-01-01T00:00:00Z", count: 10).joined(separator: "\n")
            + "\nx,-1E+0,2026-01-01T00:00:00Z\nx,+2.5e-1,2026-01-01T00:00:00Z\n"
        let path = try temporaryFile("exact.csv", Data(csv.utf8))
        let (a, summary) = try allocate(path, keys: ["team"], resources: [])
        #expect(summary.problemCount == 0)
        // Ten times 0.1 is exactly 1 (a Double sum is not), minus 1, plus 0.25.
        #expect(a.total == Decimal(string: "0.25"))
    }

    @Test func arnsAndBareIdsMeetOnlyWhereTheyNameTheSameResource() throws {
        let csv = """
            ResourceId,EffectiveCost,ChargePeriodStart,ProviderName
            arn:aws:rds:us-east-1:1:db:ledger,1,2026-01-01T00:00:00Z,AWS
            ledger,2,2026-01-01T00:00:00Z,AWS
            arn:aws:ec2:eu-west-1:1:instance/i-1,4,2026-01-01T00:00:00Z,AWS
            reports,8,2026-01-01T00:00:00Z,AWS
            arn:aws:rds:eu-west-1:1:db:reports,16,2026-01-01T00:00:00Z,AWS

            """
        let path = try temporaryFile("ids.csv", Data(csv.utf8))
        let tags: [String: AllocationResource.Tag] = ["team": .init(value: "a", source: .native)]
        let estate = [
            // Known by ARN: its bare name matches, another region's ARN of the same name does not.
            AllocationResource(provider: "aws", id: "arn:aws:rds:eu-west-1:1:db:ledger", tags: tags),
            // Known by bare id (an inventory file): the bill's ARN of it matches.
            AllocationResource(provider: "aws", id: "i-1", tags: tags),
            // Two databases named reports: a bare name is ambiguous, the exact ARN is not.
            AllocationResource(provider: "aws", id: "arn:aws:rds:eu-west-1:1:db:reports", tags: tags),
            AllocationResource(provider: "aws", id: "arn:aws:rds:us-east-1:1:db:reports", tags: tags),
        ]
        let (a, _) = try allocate(path, keys: ["team"], resources: estate)
        #expect(a.allocated == Decimal(22))  // ledger by bare name 2, i-1 by ARN 4, the exact reports ARN 16
        #expect(a.unallocatedReasons.resourceNotFound.cost == Decimal(9))  // the other region's ledger 1, ambiguous reports 8
    }

    @Test func aResourceOfAnotherProviderNeverTakesTheRow() throws {
        let csv = "ResourceId,EffectiveCost,ChargePeriodStart,ProviderName\nshared-name,5,2026-01-01T00:00:00Z,Microsoft\nshared-name,7,2026-01-01T00:00:00Z,Google Cloud\n"
        let path = try temporaryFile("providers.csv", Data(csv.utf8))
        let r = AllocationResource(provider: "gcp", id: "shared-name", tags: ["team": .init(value: "a", source: .native)])
        let (a, _) = try allocate(path, keys: ["team"], resources: [r])
        #expect(a.allocated == 7)
        #expect(a.unallocatedReasons.resourceNotFound.cost == 5)
    }
}
