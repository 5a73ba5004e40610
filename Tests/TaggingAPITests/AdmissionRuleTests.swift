import KubeCore
import VTagTestSupport
import Foundation
import Testing
import TaggingAPI

/// The CRDs' cross-field CEL rules, by intent. A real API server evaluates the CEL; there is no CEL runtime on
/// this machine, so each rule is exercised here through its Swift twin (`admissionViolations`) with the same
/// message, on malformed objects that the structural schema alone lets through: the CEL rule is what refuses
/// them on a real server (the message below is what `kubectl apply` prints).
@Suite struct AdmissionRuleTests {
    struct Malformed: Sendable, CustomStringConvertible {
        var kind: String
        var yaml: String
        var message: String
        var description: String { "\(kind): \(message)" }
    }

    static let malformed: [Malformed] = [
        .init(kind: "TaggingRule", yaml: """
            spec:
              tags: [{key: team, value: "${name.team}"}]
            """, message: AdmissionMessage.TaggingRule.nameGroupNeedsRegex),
        .init(kind: "TaggingRule", yaml: """
            spec:
              match: {tags: [{key: env, operator: In}]}
              tags: [{key: team, value: payments}]
            """, message: AdmissionMessage.TaggingRule.matcherValues),
        .init(kind: "TaggingRule", yaml: """
            spec:
              match: {tags: [{key: env, operator: Matches, values: []}]}
              tags: [{key: team, value: payments}]
            """, message: AdmissionMessage.TaggingRule.matcherValues),
        .init(kind: "TaggingRule", yaml: """
            spec:
              match: {tags: [{key: env, operator: Exists, values: [prod]}]}
              tags: [{key: team, value: payments}]
            """, message: AdmissionMessage.TaggingRule.matcherValues),
        .init(kind: "TaggingRule", yaml: """
            spec:
              tags: [{key: "aws:createdBy", value: vtag}]
            """, message: AdmissionMessage.TaggingRule.reservedAWSPrefix),
        .init(kind: "DiscoveryJob", yaml: "spec: {provider: aws}", message: AdmissionMessage.DiscoveryJob.awsNeedsSettings),
        .init(kind: "DiscoveryJob", yaml: """
            spec: {provider: aws, aws: {regions: [us-east-1], writeBack: {keys: [team, "AWS:createdBy"]}}}
            """, message: AdmissionMessage.DiscoveryJob.writeBackReservedAWSPrefix),
        .init(kind: "DiscoveryJob", yaml: "spec: {provider: simulated}", message: AdmissionMessage.DiscoveryJob.simulatedNeedsSettings),
        .init(kind: "DiscoveryJob", yaml: "spec: {provider: inventory}", message: AdmissionMessage.DiscoveryJob.inventoryNeedsSettings),
        .init(kind: "DiscoveryJob", yaml: """
            spec: {provider: simulated, simulated: {count: 10}, aws: {regions: [us-east-1]}}
            """, message: AdmissionMessage.DiscoveryJob.awsOnlyForAWS),
        .init(kind: "DiscoveryJob", yaml: """
            spec: {provider: aws, aws: {regions: [us-east-1]}, simulated: {count: 10}}
            """, message: AdmissionMessage.DiscoveryJob.simulatedOnlyForSimulated),
        .init(kind: "DiscoveryJob", yaml: """
            spec: {provider: aws, aws: {regions: [us-east-1]}, inventory: {configMapRef: {name: inv, key: a.csv}}}
            """, message: AdmissionMessage.DiscoveryJob.inventoryOnlyForInventory),
        .init(kind: "DiscoveryJob", yaml: "spec: {provider: gcp}", message: AdmissionMessage.DiscoveryJob.gcpNeedsSettings),
        .init(kind: "DiscoveryJob", yaml: """
            spec: {provider: aws, aws: {regions: [us-east-1]}, gcp: {scopes: [projects/shop-prod]}}
            """, message: AdmissionMessage.DiscoveryJob.gcpOnlyForGCP),
        .init(kind: "DiscoveryJob", yaml: "spec: {provider: azure}", message: AdmissionMessage.DiscoveryJob.azureNeedsSettings),
        .init(kind: "DiscoveryJob", yaml: """
            spec: {provider: gcp, gcp: {scopes: [projects/shop-prod]}, azure: {managementGroups: [finance]}}
            """, message: AdmissionMessage.DiscoveryJob.azureOnlyForAzure),
        .init(kind: "DiscoveryJob", yaml: "spec: {provider: azure, azure: {subscriptions: []}}", message: AdmissionMessage.DiscoveryJob.azureNeedsScope),
        .init(kind: "TagApproval", yaml: """
            spec: {key: team, value: payments, source: rule, resources: [{name: aws-a-1, confidence: 0.8, reason: r}]}
            """, message: AdmissionMessage.TagApproval.ruleSourceNeedsRule),
        .init(kind: "TagApproval", yaml: """
            spec: {key: team, value: payments, source: model, resourceCount: 2, resources: [{name: aws-a-1, confidence: 0.8, reason: r}]}
            """, message: AdmissionMessage.TagApproval.resourceCountMatches),
    ]

    static func object(_ m: Malformed) throws -> JSONValue {
        var object = try #require(try YAMLJSON.documents(m.yaml).first)
        object["apiVersion"] = .string(VTag.apiVersion)
        object["kind"] = .string(m.kind)
        object["metadata"] = .object(["name": .string("malformed"), "namespace": .string("default")])
        return object
    }

    static func violations(_ kind: String, _ object: JSONValue) throws -> [AdmissionViolation] {
        switch kind {
        case "TaggingRule": try object.decode(TaggingRule.self).spec.admissionViolations()
        case "DiscoveryJob": try object.decode(DiscoveryJob.self).spec.admissionViolations()
        case "TagApproval": try object.decode(TagApproval.self).spec.admissionViolations()
        default: []
        }
    }

    @Test(arguments: malformed) func refusedByItsCELRuleOnly(_ m: Malformed) throws {
        let object = try Self.object(m)
        let crd = try CRDCatalog.crd(m.kind)
        // The structural schema lets it through: the CEL rule is what must refuse it.
        #expect(SchemaValidator.validateObject(object, schema: crd.schema).isEmpty)
        let found = try Self.violations(m.kind, object)
        #expect(found.map(\.message) == [m.message], "\(found)")
    }

    /// Every CEL rule in crds/ has a Swift twin with the same message and a malformed example above.
    @Test func everyCELRuleIsMirroredAndExercised() throws {
        for kind in CRDDriftTests.kinds {
            var crdMessages: [String] = []
            SchemaPath.walk(try CRDCatalog.crd(kind).schema) { _, node in
                crdMessages += node["x-kubernetes-validations"]?.arrayValue?.compactMap { $0["message"]?.stringValue } ?? []
            }
            #expect(Set(crdMessages) == Set(AdmissionMessage.messages(for: kind)), "\(kind)")
            let exercised = Set(Self.malformed.filter { $0.kind == kind }.map(\.message))
            let transitionRules = kind == "TagApproval" ? [AdmissionMessage.TagApproval.decisionIsFinal] : []
            #expect(exercised.union(transitionRules) == Set(crdMessages), "\(kind): CEL rules without a malformed example")
        }
    }

    @Test func aDecisionIsFinal() {
        let pending = TagApprovalStatus(phase: .pending)
        let approved = TagApprovalStatus(decision: .approved, phase: .pending)
        let denied = TagApprovalStatus(decision: .denied, phase: .pending)
        #expect(approved.admissionViolations(replacing: pending).isEmpty)
        #expect(approved.admissionViolations(replacing: nil).isEmpty)
        #expect(TagApprovalStatus(decision: .approved, phase: .applied).admissionViolations(replacing: approved).isEmpty)
        #expect(denied.admissionViolations(replacing: approved).map(\.message) == [AdmissionMessage.TagApproval.decisionIsFinal])
        #expect(pending.admissionViolations(replacing: approved).map(\.message) == [AdmissionMessage.TagApproval.decisionIsFinal])
    }

    @Test func validSpecsHaveNoViolations() {
        #expect(Fixtures.taggingRule.spec.admissionViolations().isEmpty)
        #expect(Fixtures.tagApproval.spec.admissionViolations().isEmpty)
        for (provider, spec) in [
            (DiscoveryProviderKind.aws, DiscoveryJobSpec(provider: .aws, aws: AWSDiscoverySettings(regions: ["us-east-1"]))),
            (.simulated, DiscoveryJobSpec(provider: .simulated, simulated: SimulatedDiscoverySettings(count: 5))),
            (.inventory, DiscoveryJobSpec(provider: .inventory, inventory: InventoryDiscoverySettings(configMapRef: ConfigMapKeyRef(name: "i", key: "k")))),
        ] {
            #expect(spec.admissionViolations().isEmpty, "\(provider)")
        }
    }

    /// Malformed objects the structural schema refuses by itself (no CEL needed), with the field it names.
    @Test(arguments: [
        ("TaggingRule", "spec: {tags: []}", "spec.tags"),
        ("TaggingRule", "spec: {}", "spec.tags"),
        ("TaggingRule", "spec: {tags: [{key: '', value: x}]}", "spec.tags[0].key"),
        ("TaggingRule", "spec: {mode: Enforce, tags: [{key: team, value: x}]}", "spec.mode"),
        ("TaggingRule", "spec: {confidence: 1.5, tags: [{key: team, value: x}]}", "spec.confidence"),
        ("TaggingRule", "spec: {tags: [{key: team, value: x}, {key: team, value: y}]}", "spec.tags[1]"),
        ("TaggingRule", "spec: {match: {types: ['ec2:*:x*']}, tags: [{key: team, value: x}]}", "spec.match.types[0]"),
        ("TaggingRule", "spec: {match: {tags: [{key: env, operator: Like, values: [a]}]}, tags: [{key: team, value: x}]}", "spec.match.tags[0].operator"),
        ("DiscoveryJob", "spec: {provider: oracle}", "spec.provider"),
        ("DiscoveryJob", "spec: {provider: simulated, simulated: {count: -1}}", "spec.simulated.count"),
        ("DiscoveryJob", "spec: {provider: simulated, schedule: '*/5 * * *', simulated: {count: 1}}", "spec.schedule"),
        ("DiscoveryJob", "spec: {provider: simulated, vanishedTTL: 1d, simulated: {count: 1}}", "spec.vanishedTTL"),
        ("DiscoveryJob", "spec: {provider: aws, aws: {regions: []}}", "spec.aws.regions"),
        ("DiscoveryJob", "spec: {provider: aws, aws: {regions: [Europe]}}", "spec.aws.regions[0]"),
        ("DiscoveryJob", "spec: {provider: aws, aws: {regions: [us-east-1], services: ['ec2:vpc']}}", "spec.aws.services[0]"),
        ("DiscoveryJob", "spec: {provider: aws, aws: {regions: [us-east-1], roleARN: 'vtag-reader'}}", "spec.aws.roleARN"),
        ("TagApproval", "spec: {key: team, value: x, source: model, resources: []}", "spec.resources"),
        ("TagApproval", "spec: {key: team, value: x, source: guess, resources: [{name: a, confidence: 1, reason: r}]}", "spec.source"),
        ("TagApproval", "spec: {key: team, value: x, source: model, resources: [{name: a, confidence: 2, reason: r}]}", "spec.resources[0].confidence"),
        ("TagApproval", "{spec: {key: team, value: x, source: model, resources: [{name: a, confidence: 1, reason: r}]}, status: {decision: Maybe}}", "status.decision"),
        ("CloudResource", "spec: {provider: aws, id: i-1}", "spec.type"),
        ("CloudResource", "spec: {provider: AWS, id: i-1, type: 'ec2:instance'}", "spec.provider"),
        ("CloudResource", "spec: {provider: aws, id: i-1, type: 'ec2:instance', manualTags: {team: 7}}", "spec.manualTags.team"),
    ]) func refusedByTheStructuralSchema(kind: String, yaml: String, field: String) throws {
        let object = try Self.object(Malformed(kind: kind, yaml: yaml, message: ""))
        let failures = SchemaValidator.validateObject(object, schema: try CRDCatalog.crd(kind).schema)
        #expect(failures.map(\.path).contains(field), "\(failures)")
    }

    /// The short service names the AWS provider understands are admitted too.
    @Test func awsServiceShortNamesAreAdmitted() throws {
        let object = try Self.object(Malformed(
            kind: "DiscoveryJob", yaml: "spec: {provider: aws, aws: {regions: [us-east-1], services: [ec2, ebs, 'rds:db', lambda]}}", message: ""))
        let failures = SchemaValidator.validateObject(object, schema: try CRDCatalog.crd("DiscoveryJob").schema)
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test func tooManyApprovalResourcesAreRefused() throws {
        let resources = (0...TagApproval.maxResources).map { ApprovalResource(name: "r-\($0)", confidence: 0.8, reason: "r") }
        let approval = TagApproval(metadata: ObjectMeta(name: "big"), spec: TagApprovalSpec(key: "team", value: "x", source: .model, resources: resources))
        let failures = SchemaValidator.validateObject(try JSONValue.from(approval), schema: try CRDCatalog.crd("TagApproval").schema)
        #expect(Set(failures.map(\.path)) == ["spec.resources", "spec.resourceCount"])
    }
}
