import Foundation
import Testing
import TaggingAPI

/// What a real API server (and a person using kubectl) needs from the CRDs, checked without a server:
/// structural schemas, descriptions for `kubectl explain`, names, printer columns, and CEL rules the server
/// can cost-estimate. The CEL expressions themselves are not executed here (no CEL runtime on this machine).
@Suite struct CRDShapeTests {
    static let shortNames = ["TaggingRule": "tr", "TagApproval": "tap", "DiscoveryJob": "dj", "CloudResource": "cres"]

    @Test(arguments: CRDDriftTests.kinds) func namesSubresourcesAndCategories(kind: String) throws {
        let crd = try CRDCatalog.crd(kind)
        let names = try #require(crd.document[path: "spec", "names"])
        #expect(names["shortNames"]?.arrayValue == [.string(Self.shortNames[kind] ?? "")])
        #expect(names["categories"]?.arrayValue == [.string("vtag")])
        #expect(names["singular"]?.stringValue == kind.lowercased())
        #expect(names["listKind"]?.stringValue == "\(kind)List")
        #expect(crd.document[path: "metadata", "name"]?.stringValue == "\(crd.plural).\(crd.group)")
        #expect(crd.file == "\(crd.plural).\(crd.group).yaml")
        let versions = try #require(crd.document[path: "spec", "versions"]?.arrayValue)
        #expect(versions.count == 1)
        #expect(crd.version["served"] == .bool(true) && crd.version["storage"] == .bool(true))
        #expect(crd.version[path: "subresources", "status"] == .object([:]))
    }

    /// Structural: every node has a type; arrays have items; required names exist; list-map keys are required.
    @Test(arguments: CRDDriftTests.kinds) func schemaIsStructural(kind: String) throws {
        let crd = try CRDCatalog.crd(kind)
        var problems: [String] = []
        SchemaPath.walk(crd.schema) { path, node in
            guard let type = node["type"]?.stringValue else { problems.append("\(path): no type"); return }
            if type == "array", node["items"] == nil { problems.append("\(path): array without items") }
            let properties = node["properties"]?.objectValue ?? [:]
            for name in node["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where properties[name] == nil {
                problems.append("\(path): required \(name) is not a property")
            }
            if properties.isEmpty == false, node["additionalProperties"] != nil {
                problems.append("\(path): properties and additionalProperties together")
            }
            if node["uniqueItems"] != nil { problems.append("\(path): uniqueItems is forbidden in CRDs (use x-kubernetes-list-type)") }
            switch node["x-kubernetes-list-type"]?.stringValue {
            case "map":
                let keys = node["x-kubernetes-list-map-keys"]?.arrayValue?.compactMap(\.stringValue) ?? []
                let required = Set(node[path: "items", "required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
                if keys.isEmpty || !Set(keys).isSubset(of: required) { problems.append("\(path): list-map keys \(keys) must be required") }
            case "set":
                if node[path: "items", "type"]?.stringValue == "object" { problems.append("\(path): a set of objects") }
            default:
                break
            }
            if let pattern = node["pattern"]?.stringValue, (try? NSRegularExpression(pattern: pattern)) == nil {
                problems.append("\(path): pattern does not compile")
            }
        }
        #expect(problems.isEmpty, "\(kind): \(problems)")
    }

    /// `kubectl explain` teaches the API from these.
    @Test(arguments: CRDDriftTests.kinds) func everyFieldHasADescription(kind: String) throws {
        var missing: [String] = []
        let schema = try CRDCatalog.crd(kind).schema
        SchemaPath.walk(schema) { path, node in
            // The root metadata may hold nothing but `type: object` (the API server refuses even a description
            // there: kubectl explain shows ObjectMeta's own).
            if path == "metadata" { return }
            if (node["description"]?.stringValue ?? "").trimmingCharacters(in: .whitespaces).isEmpty { missing.append(path) }
        }
        #expect(schema[path: "properties", "metadata"] == .object(["type": .string("object")]), "\(kind): metadata may only be {type: object}")
        #expect(missing.isEmpty, "\(kind): fields without description: \(missing)")
    }

    /// The API server estimates each CEL rule's worst-case cost from the bounds of what it can walk, and refuses a
    /// CRD whose rules could be too expensive: every list, map and free string below a rule must be bounded.
    @Test(arguments: CRDDriftTests.kinds) func celRulesWalkOnlyBoundedData(kind: String) throws {
        var unbounded: [String] = []
        var rules = 0
        SchemaPath.walk(try CRDCatalog.crd(kind).schema) { path, node in
            guard let validations = node["x-kubernetes-validations"]?.arrayValue else { return }
            rules += validations.count
            for v in validations {
                let rule = v["rule"]?.stringValue ?? ""
                if rule.isEmpty || (v["message"]?.stringValue ?? "").isEmpty { unbounded.append("\(path): rule or message empty") }
                if rule.filter({ $0 == "(" }).count != rule.filter({ $0 == ")" }).count { unbounded.append("\(path): unbalanced ( ) in \(rule)") }
                if rule.filter({ $0 == "'" }).count % 2 != 0 { unbounded.append("\(path): unbalanced quotes in \(rule)") }
                if let fieldPath = v["fieldPath"]?.stringValue,
                   try! CRDCatalog.crd(kind).schema(at: path + fieldPath) == nil {
                    unbounded.append("\(path): fieldPath \(fieldPath) is not a field")
                }
            }
            SchemaPath.walk(node, path: path) { sub, n in
                switch n["type"]?.stringValue {
                case "array" where n["maxItems"] == nil: unbounded.append("\(sub): array without maxItems")
                case "string" where n["maxLength"] == nil && n["enum"] == nil && n["format"]?.stringValue != "date-time":
                    unbounded.append("\(sub): string without maxLength")
                case "object" where n["additionalProperties"] != nil && n["maxProperties"] == nil:
                    unbounded.append("\(sub): map without maxProperties")
                default: break
                }
            }
        }
        #expect(unbounded.isEmpty, "\(kind): \(unbounded)")
        #expect(rules == AdmissionMessage.messages(for: kind).count, "\(kind): \(rules) CEL rules")
    }

    /// Printer columns point at fields the schema has (a typo would print an empty column forever).
    @Test(arguments: CRDDriftTests.kinds) func printerColumnsPointAtSchemaFields(kind: String) throws {
        let crd = try CRDCatalog.crd(kind)
        let columns = try #require(crd.version["additionalPrinterColumns"]?.arrayValue)
        #expect(columns.last?["name"]?.stringValue == "Age")
        let typeOf = ["string": "string", "integer": "integer", "number": "number", "boolean": "boolean"]
        for column in columns {
            let jsonPath = try #require(column["jsonPath"]?.stringValue)
            if jsonPath == ".metadata.creationTimestamp" { continue }
            // `.status.conditions[?(@.type=="Ready")].status` -> status.conditions[].status
            let path = String(jsonPath.dropFirst()).replacingOccurrences(
                of: #"\[\?\(@\.type==\"[A-Za-z]+\"\)\]"#, with: "[]", options: .regularExpression)
            let field = try #require(crd.schema(at: path), "\(kind) column \(column["name"] ?? .null): no field \(path)")
            let fieldType = field["type"]?.stringValue ?? ""
            let expected = field["format"]?.stringValue == "date-time" ? "date" : typeOf[fieldType]
            #expect(column["type"]?.stringValue == expected, "\(kind) column \(jsonPath): type \(column["type"] ?? .null) for a \(fieldType)")
            #expect(column["description"]?.stringValue?.isEmpty == false, "\(kind) column \(jsonPath) has no description")
        }
    }

    @Test func conditionsHaveTheStandardShapeEverywhere() throws {
        let reference = try CRDCatalog.crd("TaggingRule").schema(at: "status.conditions[]")
        for kind in CRDDriftTests.kinds {
            let conditions = try #require(try CRDCatalog.crd(kind).schema(at: "status.conditions"))
            #expect(conditions["x-kubernetes-list-type"]?.stringValue == "map")
            #expect(conditions["x-kubernetes-list-map-keys"]?.arrayValue == [.string("type")])
            #expect(conditions["items"] == reference, "\(kind): conditions item schema differs from TaggingRule's")
            #expect(try CRDCatalog.crd(kind).schema(at: "status.observedGeneration")?["minimum"] == .int(0))
        }
        let required = reference?["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(Set(required) == ["type", "status", "lastTransitionTime", "reason", "message"])
    }
}
