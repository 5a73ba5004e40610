import VTagTestSupport
import Foundation
import KubeCore

/// The CustomResourceDefinitions in crds/, parsed.
struct CRD {
    var file: String
    var document: JSONValue

    var kind: String { document[path: "spec", "names", "kind"]?.stringValue ?? "" }
    var group: String { document[path: "spec", "group"]?.stringValue ?? "" }
    var plural: String { document[path: "spec", "names", "plural"]?.stringValue ?? "" }
    var version: JSONValue { document[path: "spec", "versions"]?.arrayValue?.first ?? .null }
    var schema: JSONValue { version[path: "schema", "openAPIV3Schema"] ?? .null }
    var apiVersion: String { "\(group)/\(version["name"]?.stringValue ?? "")" }

    /// The sub-schema at a dotted path of property names, `[]` stepping into array items and `{}` into map values:
    /// `spec.match.tags[].operator`, `spec.nativeTags{}`.
    func schema(at path: String) -> JSONValue? {
        var node: JSONValue? = schema
        for step in SchemaPath.steps(path) {
            switch step {
            case .property(let name): node = node?[path: "properties", name]
            case .items: node = node?["items"]
            case .values: node = node?["additionalProperties"]
            }
        }
        return node
    }
}

enum CRDCatalog {
    static func load() throws -> [String: CRD] {
        var out: [String: CRD] = [:]
        for file in try RepoFiles.yamlFiles(in: "crds") {
            for doc in try RepoFiles.documents(file) where doc["kind"]?.stringValue == "CustomResourceDefinition" {
                let crd = CRD(file: file.lastPathComponent, document: doc)
                out[crd.kind] = crd
            }
        }
        return out
    }

    static func crd(_ kind: String) throws -> CRD {
        guard let crd = try load()[kind] else { throw CatalogError(description: "crds/ has no CRD of kind \(kind)") }
        return crd
    }

    struct CatalogError: Error, CustomStringConvertible { var description: String }
}

/// Dotted schema paths: property names, `[]` for array items, `{}` for map values.
enum SchemaPath {
    enum Step: Equatable { case property(String), items, values }

    static func steps(_ path: String) -> [Step] {
        var steps: [Step] = []
        for part in path.split(separator: ".") {
            var name = Substring(part)
            var suffix: [Step] = []
            while true {
                if name.hasSuffix("[]") { suffix.insert(.items, at: 0); name = name.dropLast(2) }
                else if name.hasSuffix("{}") { suffix.insert(.values, at: 0); name = name.dropLast(2) }
                else { break }
            }
            if !name.isEmpty { steps.append(.property(String(name))) }
            steps += suffix
        }
        return steps
    }

    /// Every node of a schema with its path, depth first (the root has path "").
    static func walk(_ schema: JSONValue, path: String = "", _ visit: (String, JSONValue) -> Void) {
        visit(path, schema)
        for (name, child) in (schema["properties"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            walk(child, path: path.isEmpty ? name : "\(path).\(name)", visit)
        }
        if let items = schema["items"] { walk(items, path: path + "[]", visit) }
        if let values = schema["additionalProperties"], values.objectValue != nil { walk(values, path: path + "{}", visit) }
    }
}
