import Foundation
import K8sClient
import KubeCore
import TaggingAPI

/// One YAML document of a manifest file, with the line it starts on (for errors a person can find).
struct ManifestDocument {
    var file: String
    var line: Int
    var value: JSONValue
    var kind: String? { value["kind"]?.stringValue }
    var name: String { value[path: "metadata", "name"]?.stringValue ?? "" }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        do { return try KubeJSON.decoder().decode(T.self, from: value.serialized()) } catch {
            throw CLIError.manifest(file: file, line: line, message: "\(kind ?? "document") \"\(name)\" does not fit the schema: \(Self.describe(error))")
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let ctx):
            return "missing field \((ctx.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: "."))"
        case DecodingError.typeMismatch(_, let ctx), DecodingError.valueNotFound(_, let ctx):
            return "field \(ctx.codingPath.map(\.stringValue).joined(separator: ".")): \(ctx.debugDescription)"
        case DecodingError.dataCorrupted(let ctx):
            return "field \(ctx.codingPath.map(\.stringValue).joined(separator: ".")): \(ctx.debugDescription)"
        default: return "\(error)"
        }
    }
}

enum ManifestFiles {
    /// Every document of every YAML file at `paths` (a folder contributes its *.yaml / *.yml files,
    /// sorted, not recursing), in order.
    static func documents(at paths: [String]) throws -> [ManifestDocument] {
        var out: [ManifestDocument] = []
        for path in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                throw CLIError.manifest(file: path, message: "no such file or folder")
            }
            let files: [String]
            if isDir.boolValue {
                let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                files = entries.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
                    .map { (path as NSString).appendingPathComponent($0) }
            } else {
                files = [path]
            }
            for file in files { out += try documents(inFile: file) }
        }
        return out
    }

    static func documents(inFile file: String) throws -> [ManifestDocument] {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw CLIError.manifest(file: file, message: "cannot read: \(error.localizedDescription)")
        }
        return try documents(text: text, file: file)
    }

    /// Splits on `---` lines so each document's start line is known, then parses each one.
    static func documents(text: String, file: String) throws -> [ManifestDocument] {
        var chunks: [(line: Int, text: String)] = []
        var current = ""
        var start = 1
        var lineNo = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            if raw == "---" || raw.hasPrefix("--- ") || raw == "---\r" {
                chunks.append((start, current))
                current = ""
                start = lineNo + 1
            } else {
                current += raw + "\n"
            }
        }
        chunks.append((start, current))
        var out: [ManifestDocument] = []
        for chunk in chunks {
            let values: [JSONValue]
            do { values = try YAMLDocuments.parse(chunk.text) } catch {
                throw CLIError.manifest(file: file, line: chunk.line, message: "not valid YAML: \(error)")
            }
            // The document starts at its first non-blank, non-comment line.
            let offset = chunk.text.split(separator: "\n", omittingEmptySubsequences: false)
                .firstIndex { l in let t = l.trimmingCharacters(in: .whitespaces); return !t.isEmpty && !t.hasPrefix("#") } ?? 0
            for v in values {
                guard case .object = v else {
                    throw CLIError.manifest(file: file, line: chunk.line + offset, message: "expected a Kubernetes object (a YAML mapping)")
                }
                out.append(ManifestDocument(file: file, line: chunk.line + offset, value: v))
            }
        }
        return out
    }

    /// The TaggingRules at `paths`; other kinds are skipped (a folder may hold a whole kustomization).
    /// A rule the API server would refuse is an error naming its file and line.
    static func taggingRules(at paths: [String]) throws -> [TaggingRule] {
        var rules: [TaggingRule] = []
        var seen: [String: ManifestDocument] = [:]
        for doc in try documents(at: paths) where doc.kind == "TaggingRule" {
            let rule = try doc.decode(TaggingRule.self)
            guard let name = rule.metadata.name, !name.isEmpty else {
                throw CLIError.manifest(file: doc.file, line: doc.line, message: "TaggingRule has no metadata.name")
            }
            let violations = rule.spec.admissionViolations()
            if !violations.isEmpty {
                throw CLIError.manifest(file: doc.file, line: doc.line, message: "TaggingRule \"\(name)\" would be refused: "
                    + violations.map(\.description).joined(separator: "; "))
            }
            if let first = seen[name] {
                throw CLIError.manifest(file: doc.file, line: doc.line,
                                    message: "TaggingRule \"\(name)\" is defined twice (first at \(first.file) line \(first.line))")
            }
            seen[name] = doc
            rules.append(rule)
        }
        return rules
    }
}
