import Cost
import Foundation
import Testing
import TaggingAPI
import VTagTestSupport

/// The real FOCUS samples of Fixtures/ (see its README): figures computed independently with Python's
/// csv and decimal modules.
@Suite struct FOCUSSampleTests {
    static let aws = RepoFiles.url("Tests/CostTests/Fixtures/focus-1.0_aws-azure-oci_sample_1000.csv.gz").path
    static let gcp = RepoFiles.url("Tests/CostTests/Fixtures/focus-1.3_gcp_synthetic_first43.csv").path

    @Test func focus10SampleAddsUpToItsTotalWithNullsAndSpaceSeparatedTimes() throws {
        let (a, summary) = try allocate(Self.aws, keys: ["team"], resources: [], column: .billedCost)
        #expect(summary.compressed)
        #expect(summary.rows == 1000 && summary.problemCount == 0)
        #expect(a.total == Decimal(string: "20.52022672899"))
        #expect(a.unallocated == a.total)
        // 75 rows write the literal NULL for ResourceId.
        #expect(a.unallocatedReasons.noResourceId.rows == 75)
        #expect(a.unallocatedReasons.noResourceId.cost == Decimal(string: "-2.57101578960"))
        #expect(a.months.map(\.month) == ["2024-09"])
        #expect(a.currencies == ["USD"])
    }

    @Test func azureIdsJoinWithoutCaseAndEC2InstancesByArnOrBareId() throws {
        // Cost Management writes Azure ids in lower case; the inventory has ARM's mixed case.
        let workspace = AllocationResource(
            provider: "azure",
            id: "/subscriptions/64e355d7-997c-491d-b0c1-8414dccfcf42/resourceGroups/DevTestLab/providers/Microsoft.MachineLearningServices/workspaces/zmltestplayground",
            tags: ["team": .init(value: "ml", source: .manual)])
        // The sample bills this instance once by ARN and once by its bare id.
        let instance = AllocationResource(
            provider: "aws", id: "arn:ats:el2:us-test-2:740815793202:instanle/i-0el9054408f5ll9bl",
            tags: ["team": .init(value: "web", source: .rule)])
        let (a, _) = try allocate(Self.aws, keys: ["team"], resources: [workspace, instance], column: .billedCost)
        #expect(a.groups.first { $0.values == ["ml"] }?.cost == Decimal(string: "-0.15189756178"))
        #expect(a.groups.first { $0.values == ["web"] }?.cost == Decimal(string: "0.00333337540"))
        #expect(a.matchedRows == 9 + 2)
        #expect(a.allocated + a.unallocated == Decimal(string: "20.52022672899"))
    }

    @Test func focus13GCPSampleJoinsFullResourceNames() throws {
        let bucket = AllocationResource(
            provider: "gcp", id: "//storage.googleapis.com/projects/examplecorp-staging-552831/buckets/bucket-f36bd2c4",
            tags: ["team": .init(value: "payments", source: .native)])
        let (a, summary) = try allocate(Self.gcp, keys: ["team"], resources: [bucket])
        #expect(summary.rows == 43 && summary.problemCount == 0)
        #expect(a.total == Decimal(string: "1371.474132232116"))
        #expect(a.allocated == Decimal(string: "135.4517748"))
        #expect(a.unallocatedReasons.noResourceId.cost == Decimal(string: "30.066884493256"))
        #expect(a.months.map(\.month) == ["2026-05"])
    }
}
