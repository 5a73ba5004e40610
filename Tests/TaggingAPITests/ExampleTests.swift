import KubeCore
import VTagTestSupport
import Foundation
import Testing
import TaggingAPI

/// Every file in examples/ is what a newcomer applies first: it must be accepted as is.
@Suite struct ExampleTests {
    static func allDocuments() throws -> [(file: String, object: JSONValue)] {
        try RepoFiles.yamlFiles(in: "examples").flatMap { file in
            try RepoFiles.documents(file).map { (file.lastPathComponent, $0) }
        }
    }

    static func vtagObjects(_ kind: String) throws -> [JSONValue] {
        try allDocuments().map(\.object).filter { $0["apiVersion"]?.stringValue == VTag.apiVersion && $0["kind"]?.stringValue == kind }
    }

    @Test func everyVTagExampleFitsItsSchemaAndSwiftType() throws {
        let crds = try CRDCatalog.load()
        var checked = 0
        for (file, object) in try Self.allDocuments() where object["apiVersion"]?.stringValue == VTag.apiVersion {
            let kind = object["kind"]?.stringValue ?? ""
            let crd = try #require(crds[kind], "\(file): unknown kind \(kind)")
            let failures = SchemaValidator.validateObject(object, schema: crd.schema)
            #expect(failures.isEmpty, "\(file) \(kind): \(failures)")
            #expect(object[path: "metadata", "name"]?.stringValue?.isEmpty == false, "\(file): no name")
            // The Swift type reads it back whole, and the CEL rules (in their Swift form) accept it.
            let back = try CRDDriftTests.swiftRoundTrip(kind, object)
            #expect(jsonDifferences(object, back).isEmpty, "\(file) \(kind): \(jsonDifferences(object, back))")
            let violations = try AdmissionRuleTests.violations(kind, object)
            #expect(violations.isEmpty, "\(file) \(kind): \(violations)")
            checked += 1
        }
        #expect(checked >= 8)
    }

    @Test func theOtherDocumentsAreKnownKubernetesKinds() throws {
        let known: Set<String> = ["v1/Secret", "v1/ConfigMap", "v1/Namespace", "kustomize.config.k8s.io/v1beta1/Kustomization"]
        for (file, object) in try Self.allDocuments() where object["apiVersion"]?.stringValue != VTag.apiVersion {
            let gvk = "\(object["apiVersion"]?.stringValue ?? "?")/\(object["kind"]?.stringValue ?? "?")"
            #expect(known.contains(gvk), "\(file): \(gvk)")
        }
    }

    @Test func theSimulatedJobHoldsAThousandResources() throws {
        let jobs = try Self.vtagObjects("DiscoveryJob").map { try $0.decode(DiscoveryJob.self) }
        let simulated = try #require(jobs.first { $0.spec.provider == .simulated })
        #expect(simulated.spec.simulated?.count == 1000)
    }

    /// The AWS job's credentials Secret exists among the examples with the keys the job reads.
    @Test func theAWSJobFindsItsSecret() throws {
        let jobs = try Self.vtagObjects("DiscoveryJob").map { try $0.decode(DiscoveryJob.self) }
        let aws = try #require(jobs.first { $0.spec.provider == .aws }?.spec.aws)
        let ref = try #require(aws.credentialsSecretRef)
        let secret = try #require(try Self.allDocuments().map(\.object).first {
            $0["kind"]?.stringValue == "Secret" && $0[path: "metadata", "name"]?.stringValue == ref.name
        })
        let data = secret["stringData"]?.objectValue ?? [:]
        #expect(data[ref.effectiveAccessKeyIDKey]?.stringValue?.hasSuffix("EXAMPLE") == true)
        #expect(data[ref.effectiveSecretAccessKeyKey]?.stringValue?.hasSuffix("EXAMPLEKEY") == true)
    }

    /// A newcomer finds a job for each cloud, and the Azure job's Secret holds the keys it reads.
    @Test func everyCloudHasAJobAndTheAzureJobFindsItsSecret() throws {
        let jobs = try Self.vtagObjects("DiscoveryJob").map { try $0.decode(DiscoveryJob.self) }
        #expect(Set(jobs.map(\.spec.provider)).isSuperset(of: [.aws, .gcp, .azure]))
        let gcp = try #require(jobs.first { $0.spec.provider == .gcp }?.spec.gcp)
        #expect(!gcp.scopes.isEmpty)
        let azure = try #require(jobs.first { $0.spec.provider == .azure }?.spec.azure)
        let ref = try #require(azure.credentialsSecretRef)
        let secret = try #require(try Self.allDocuments().map(\.object).first {
            $0["kind"]?.stringValue == "Secret" && $0[path: "metadata", "name"]?.stringValue == ref.name
        })
        let data = secret["stringData"]?.objectValue ?? [:]
        for key in [ref.effectiveTenantIDKey, ref.effectiveClientIDKey, ref.effectiveClientSecretKey] {
            #expect(data[key]?.stringValue?.isEmpty == false, "\(key)")
        }
    }

    /// The rules together show every matcher, operator and value template.
    @Test func theRulesShowEveryMatcherAndTemplate() throws {
        let rules = try Self.vtagObjects("TaggingRule").map { try $0.decode(TaggingRule.self).spec }
        let matches = rules.compactMap(\.match)
        #expect(matches.contains { $0.providers != nil })
        #expect(matches.contains { $0.types?.contains { $0.hasSuffix("*") } == true })
        #expect(matches.contains { $0.accounts != nil })
        #expect(matches.contains { $0.regions != nil })
        #expect(matches.contains { $0.name?.regex.contains("(?<") == true })
        let operators = Set(matches.flatMap { $0.tags ?? [] }.map(\.operator))
        #expect(operators == Set(MatchOperator.allCases))
        #expect(Set(rules.compactMap(\.mode)) == Set(RuleMode.allCases))
        #expect(rules.contains { $0.override == true })
        let values = rules.flatMap(\.tags).map(\.value).joined(separator: " ")
        for template in ["${name.", "${tag.", "${name}", "${account}", "${region}", "${type}", "${provider}"] {
            #expect(values.contains(template), "no example uses \(template)")
        }
    }

    /// `kubectl kustomize examples/` renders, when kubectl is installed (it is on the CI image; the test is
    /// skipped, and says so, where it is not).
    @Test(.enabled(if: Kubectl.path != nil, "kubectl is not installed")) func examplesKustomizationRenders() throws {
        let rendered = try Kubectl.kustomize("examples")
        let kinds = try YAMLJSON.documents(rendered).compactMap { $0["kind"]?.stringValue }
        #expect(kinds.filter { $0 == "DiscoveryJob" }.count == 4)
        #expect(kinds.contains("TaggingRule") && kinds.contains("Secret") && kinds.contains("Namespace"))
    }
}
