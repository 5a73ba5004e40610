import Foundation
import KubeCore
import Testing
import TaggingAPI

/// The Swift types of Sources/TaggingAPI and the schemas of crds/ must describe the same API: a field on one
/// side only would be silently dropped by the API server (or never read by the operator).
@Suite struct CRDDriftTests {
    static let kinds = ["TaggingRule", "DiscoveryJob", "TagApproval", "CloudResource"]

    /// Values for strings whose schema has a pattern (by schema path).
    static let samples: [String: JSONValue] = [
        "metadata": .object(["name": .string("sample"), "namespace": .string("default")]),
        "status.conditions[].type": .string("Ready"),
        "status.conditions[].reason": .string("Evaluated"),
        // TaggingRule
        "spec.match.providers[]": .string("aws"),
        "spec.match.types[]": .string("ec2:*"),
        "spec.tags[].key": .string("team"),
        // DiscoveryJob
        "spec.schedule": .string("0 */6 * * *"),
        "spec.vanishedTTL": .string("90m"),
        "spec.aws.regions[]": .string("eu-west-1"),
        "spec.aws.credentialsSecretRef.name": .string("aws-credentials"),
        "spec.aws.credentialsSecretRef.accessKeyIDKey": .string("id"),
        "spec.aws.credentialsSecretRef.secretAccessKeyKey": .string("secret"),
        "spec.aws.credentialsSecretRef.sessionTokenKey": .string("token"),
        "spec.aws.roleARN": .string("arn:aws:iam::123456789012:role/reader"),
        "spec.aws.endpointURL": .string("http://127.0.0.1:5000"),
        "spec.aws.writeBack.keys[]": .string("team"),
        "spec.gcp.scopes[]": .string("organizations/123456789012"),
        "spec.gcp.assetTypes[]": .string("compute.googleapis.com/Instance"),
        "spec.gcp.credentialsSecretRef.name": .string("gcp-key"),
        "spec.gcp.credentialsSecretRef.key": .string("sa.json"),
        "spec.gcp.endpointURL": .string("http://127.0.0.1:8080"),
        "spec.azure.subscriptions[]": .string("00000000-0000-0000-0000-000000000001"),
        "spec.azure.managementGroups[]": .string("finance-mg"),
        "spec.azure.credentialsSecretRef.name": .string("azure-sp"),
        "spec.azure.credentialsSecretRef.tenantIDKey": .string("tenant"),
        "spec.azure.credentialsSecretRef.clientIDKey": .string("client"),
        "spec.azure.credentialsSecretRef.clientSecretKey": .string("secret"),
        "spec.azure.endpointURL": .string("http://127.0.0.1:8081"),
        "spec.azure.authorityURL": .string("http://127.0.0.1:8082"),
        "spec.inventory.configMapRef.name": .string("inventory"),
        "spec.inventory.configMapRef.key": .string("estate.csv"),
        // TagApproval
        "spec.key": .string("team"),
        "spec.rule": .string("team-from-name"),
        "spec.resources[].name": .string("aws-i-0abc-0123456789"),
        "status.excluded[]": .string("aws-i-0def-0123456789"),
        // CloudResource
        "spec.provider": .string("aws"),
    ]

    /// Decodes JSON into the kind's Swift type and encodes it again.
    static func swiftRoundTrip(_ kind: String, _ json: JSONValue) throws -> JSONValue {
        switch kind {
        case "TaggingRule": try JSONValue.from(json.decode(TaggingRule.self))
        case "DiscoveryJob": try JSONValue.from(json.decode(DiscoveryJob.self))
        case "TagApproval": try JSONValue.from(json.decode(TagApproval.self))
        case "CloudResource": try JSONValue.from(json.decode(CloudResource.self))
        default: throw CRDCatalog.CatalogError(description: "no Swift type for \(kind)")
        }
    }

    /// The fully populated fixture of a kind, and its JSON.
    static func fixture(_ kind: String) throws -> (value: Any, json: JSONValue) {
        switch kind {
        case "TaggingRule": let v = Fixtures.taggingRule; return (v, try JSONValue.from(v))
        case "DiscoveryJob": let v = Fixtures.discoveryJob; return (v, try JSONValue.from(v))
        case "TagApproval": let v = Fixtures.tagApproval; return (v, try JSONValue.from(v))
        case "CloudResource": let v = Fixtures.cloudResource; return (v, try JSONValue.from(v))
        default: throw CRDCatalog.CatalogError(description: "no fixture for \(kind)")
        }
    }

    @Test func crdsExistForEveryKindAndNoOther() throws {
        #expect(Set(try CRDCatalog.load().keys) == Set(Self.kinds))
        #expect(try CRDCatalog.crd("TaggingRule").apiVersion == VTag.apiVersion)
        for (kind, descriptor) in [
            ("TaggingRule", TaggingRule.resource), ("DiscoveryJob", DiscoveryJob.resource),
            ("TagApproval", TagApproval.resource), ("CloudResource", CloudResource.resource),
        ] {
            let crd = try CRDCatalog.crd(kind)
            #expect(crd.plural == descriptor.plural, "\(kind)")
            #expect(crd.group == descriptor.group, "\(kind)")
            #expect(crd.version["name"]?.stringValue == descriptor.version, "\(kind)")
            #expect(crd.document[path: "spec", "scope"]?.stringValue == (descriptor.namespaced ? "Namespaced" : "Cluster"))
        }
    }

    /// Schema -> Swift: an instance with every schema property survives decoding and re-encoding, so no
    /// schema field is missing from (or typed differently in) the Swift type.
    @Test(arguments: kinds) func everySchemaFieldSurvivesTheSwiftType(kind: String) throws {
        let crd = try CRDCatalog.crd(kind)
        var generator = SchemaInstance(samples: Self.samples)
        var instance = generator.build(crd.schema)
        instance["apiVersion"] = .string(crd.apiVersion)
        instance["kind"] = .string(kind)
        #expect(generator.missingSamples.isEmpty, "add samples for these patterned strings: \(generator.missingSamples)")
        // The instance must itself be valid, or the comparison proves nothing.
        let invalid = SchemaValidator.validateObject(instance, schema: crd.schema)
        #expect(invalid.isEmpty, "generated \(kind) is invalid: \(invalid)")

        let back = try Self.swiftRoundTrip(kind, instance)
        let lost = jsonDifferences(instance, back)
        #expect(lost.isEmpty, "\(kind): fields the Swift type loses or changes: \(lost)")
    }

    /// Swift -> schema: a fully populated Swift value encodes to JSON the schema accepts field by field, so no
    /// Swift field is unknown to the schema (the API server would drop it) or typed differently.
    @Test(arguments: kinds) func everySwiftFieldIsInTheSchema(kind: String) throws {
        let crd = try CRDCatalog.crd(kind)
        let (value, json) = try Self.fixture(kind)
        var unset = unsetFields(value).filter { !$0.hasPrefix("metadata") }
        unset.removeAll { $0 == "apiVersion" || $0 == "kind" }
        #expect(unset.isEmpty, "the \(kind) fixture must set every field, unset: \(unset)")
        let failures = SchemaValidator.validateObject(json, schema: crd.schema)
        #expect(failures.isEmpty, "\(kind) as Swift encodes it does not fit its schema: \(failures)")
    }

    /// Every enum in the schemas, and the Swift cases it must equal.
    static let enums: [String: [String: [String]]] = [
        "TaggingRule": [
            "spec.mode": RuleMode.allCases.map(\.rawValue),
            "spec.match.tags[].operator": MatchOperator.allCases.map(\.rawValue),
            "status.conditions[].status": ["True", "False", "Unknown"],
        ],
        "DiscoveryJob": [
            "spec.provider": DiscoveryProviderKind.allCases.map(\.rawValue),
            "spec.aws.services[]": AWSDiscoverySettings.acceptedServices,
            "spec.aws.writeBack.mode": AWSWriteBackSettings.Mode.allCases.map(\.rawValue),
            "spec.simulated.clouds[]": SimulatedDiscoverySettings.allClouds,
            "spec.inventory.format": InventoryFormat.allCases.map(\.rawValue),
            "status.conditions[].status": ["True", "False", "Unknown"],
        ],
        "TagApproval": [
            "spec.source": TagSource.allCases.map(\.rawValue),
            "status.decision": ApprovalDecision.allCases.map(\.rawValue),
            "status.phase": ApprovalPhase.allCases.map(\.rawValue),
            "status.conditions[].status": ["True", "False", "Unknown"],
        ],
        "CloudResource": [
            "status.phase": ResourcePhase.allCases.map(\.rawValue),
            "status.virtualTags[].source": TagSource.allCases.map(\.rawValue),
            "status.history[].action": TagHistoryEntry.Action.allCases.map(\.rawValue),
            "status.conditions[].status": ["True", "False", "Unknown"],
        ],
    ]

    @Test(arguments: kinds) func enumsEqualTheSwiftCases(kind: String) throws {
        let crd = try CRDCatalog.crd(kind)
        var schemaEnums: [String: [String]] = [:]
        SchemaPath.walk(crd.schema) { path, node in
            if let values = node["enum"]?.arrayValue { schemaEnums[path] = values.compactMap(\.stringValue) }
        }
        let swift = Self.enums[kind] ?? [:]
        #expect(Set(schemaEnums.keys) == Set(swift.keys), "\(kind): enums on one side only")
        for (path, cases) in swift {
            #expect(Set(schemaEnums[path] ?? []) == Set(cases), "\(kind).\(path): schema \(schemaEnums[path] ?? []) vs Swift \(cases)")
        }
    }

    @Test func conditionStatusValuesDecode() throws {
        for raw in ["True", "False", "Unknown"] {
            #expect(try JSONValue.string(raw).decode(Condition.Status.self).rawValue == raw)
        }
        #expect(throws: (any Error).self) { try JSONValue.string("true").decode(Condition.Status.self) }
    }

    /// The schema's defaults are what the Swift `effective*` helpers assume when a field is absent.
    @Test func defaultsAgreeWithTheSwiftEffectiveValues() throws {
        let rule = TaggingRuleSpec(tags: [RuleTag(key: "k", value: "v")])
        let job = DiscoveryJobSpec(provider: .aws)
        let ref = AWSCredentialsSecretRef(name: "creds")
        let writeBack = AWSWriteBackSettings(keys: ["team"])
        let gcpRef = GCPCredentialsSecretRef(name: "creds")
        let azureRef = AzureCredentialsSecretRef(name: "creds")
        let expected: [String: [String: JSONValue]] = [
            "TaggingRule": [
                "spec.priority": .int(Int64(rule.effectivePriority)),
                "spec.mode": .string(rule.effectiveMode.rawValue),
                "spec.confidence": .double(rule.effectiveConfidence),
                "spec.override": .bool(rule.effectiveOverride),
            ],
            "DiscoveryJob": [
                "spec.suspend": .bool(job.effectiveSuspend),
                "spec.pruneVanished": .bool(job.effectivePruneVanished),
                "spec.vanishedTTL": .string(job.effectiveVanishedTTL),
                "spec.aws.credentialsSecretRef.accessKeyIDKey": .string(ref.effectiveAccessKeyIDKey),
                "spec.aws.credentialsSecretRef.secretAccessKeyKey": .string(ref.effectiveSecretAccessKeyKey),
                "spec.aws.credentialsSecretRef.sessionTokenKey": .string(ref.effectiveSessionTokenKey),
                "spec.aws.writeBack.mode": .string(writeBack.effectiveMode.rawValue),
                "spec.aws.writeBack.dryRun": .bool(writeBack.effectiveDryRun),
                "spec.gcp.credentialsSecretRef.key": .string(gcpRef.effectiveKey),
                "spec.azure.credentialsSecretRef.tenantIDKey": .string(azureRef.effectiveTenantIDKey),
                "spec.azure.credentialsSecretRef.clientIDKey": .string(azureRef.effectiveClientIDKey),
                "spec.azure.credentialsSecretRef.clientSecretKey": .string(azureRef.effectiveClientSecretKey),
            ],
        ]
        for kind in Self.kinds {
            var defaults: [String: JSONValue] = [:]
            SchemaPath.walk(try CRDCatalog.crd(kind).schema) { path, node in
                if let d = node["default"] { defaults[path] = d }
            }
            let swift = expected[kind] ?? [:]
            #expect(Set(defaults.keys) == Set(swift.keys), "\(kind): defaults on one side only")
            for (path, value) in swift {
                #expect(defaults[path].map { SchemaValidator.sameValue($0, value) } == true, "\(kind).\(path): schema \(String(describing: defaults[path])) vs Swift \(value)")
            }
        }
        #expect(job.vanishedTTLSeconds == 86_400)
    }

    /// Bounds the Swift code relies on must fit the schema's, or the API server refuses the operator's writes.
    @Test func swiftLimitsFitTheSchemaBounds() throws {
        func maxItems(_ kind: String, _ path: String) throws -> Int {
            Int(try #require(CRDCatalog.crd(kind).schema(at: path)?["maxItems"]?.intValue, "\(kind).\(path) has no maxItems"))
        }
        #expect(try maxItems("TagApproval", "spec.resources") == TagApproval.maxResources)
        #expect(try CRDCatalog.crd("TagApproval").schema(at: "spec.resourceCount")?["maximum"]?.intValue == Int64(TagApproval.maxResources))
        #expect(try maxItems("DiscoveryJob", "status.history") >= DiscoveryJobStatus.historyLimit)
        #expect(try maxItems("DiscoveryJob", "status.lastRun.errorMessages") >= DiscoveryRun.errorMessagesLimit)
        #expect(try CRDCatalog.crd("DiscoveryJob").schema(at: "status.lastRun.errorMessages[]")?["maxLength"]?.intValue
                ?? 0 >= Int64(DiscoveryRun.errorMessageMaxLength))
        #expect(try maxItems("CloudResource", "status.history") >= CloudResourceStatus.historyLimit)
        #expect(try maxItems("CloudResource", "status.virtualTags") >= CloudResourceStatus.virtualTagsLimit)
        #expect(try maxItems("CloudResource", "status.rejected") >= CloudResourceStatus.rejectedLimit)
        #expect(try maxItems("CloudResource", "status.missingKeys") >= CloudResourceStatus.missingKeysLimit)
    }

    /// The count fields behind the Resources and Tags printer columns follow their lists.
    @Test func countFieldsFollowTheirLists() throws {
        var approval = Fixtures.tagApproval
        #expect(approval.spec.resourceCount == 1)
        approval.spec.resources.append(ApprovalResource(name: "b", confidence: 0.7, reason: "r"))
        #expect(approval.spec.resourceCount == 2)
        #expect(approval.spec.admissionViolations().isEmpty)

        var status = CloudResourceStatus(virtualTags: [])
        #expect(status.tagCount == 0)
        status.virtualTags = Fixtures.cloudResource.status?.virtualTags
        #expect(status.tagCount == 1)
        status.virtualTags = nil
        #expect(status.tagCount == nil)
    }
}
