import Foundation
import KubeCore
import Yams

/// Files of the repository (crds/, examples/, manifests/), found from this source file's location so the
/// tests run from any working directory.
public enum RepoFiles {
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// The YAML files directly in a directory of the repository, sorted.
    public static func yamlFiles(in directory: String) throws -> [URL] {
        let dir = url(directory)
        return try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { ["yaml", "yml"].contains($0.pathExtension) }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// Every document of a YAML file (`---` separated), as JSON the way kubectl would send it.
    public static func documents(_ file: URL) throws -> [JSONValue] {
        try YAMLJSON.documents(String(contentsOf: file, encoding: .utf8))
    }
}

/// YAML to JSON with YAML's own typing (quoted scalars stay strings, `123456789012` is an integer,
/// `true` a boolean), as kubectl converts a manifest before sending it.
public enum YAMLJSON {
    public struct Unsupported: Error, CustomStringConvertible {
        public var description: String
    }

    public static func documents(_ yaml: String) throws -> [JSONValue] {
        var out: [JSONValue] = []
        for node in try Yams.compose_all(yaml: yaml) {
            out.append(try json(node))
        }
        return out.filter { !$0.isNull }
    }

    public static func json(_ node: Node) throws -> JSONValue {
        switch node {
        case .scalar(let scalar):
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue: return .null
            case Tag.Name.bool.rawValue: return node.bool.map(JSONValue.bool) ?? .string(scalar.string)
            case Tag.Name.int.rawValue: return node.int.map { .int(Int64($0)) } ?? .string(scalar.string)
            case Tag.Name.float.rawValue: return node.float.map(JSONValue.double) ?? .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard let k = key.string else { throw Unsupported(description: "non-string key \(key)") }
                object[k] = try json(value)
            }
            return .object(object)
        case .sequence(let sequence):
            return .array(try sequence.map(json))
        case .alias:
            throw Unsupported(description: "YAML aliases are not used in this repository")
        }
    }
}
