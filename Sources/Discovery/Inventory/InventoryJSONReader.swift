import Foundation
import KubeCore

/// Reads an inventory in JSON: an array of objects with `provider`, `id`, `type`, optional
/// `name`, `account`, `region`, and a `tags` map. Bad elements are reported with the line their
/// object starts on; the good ones are kept. Unknown fields are ignored.
enum InventoryJSONReader {
    static func read(_ data: Data, source: String) throws(DiscoveryError) -> InventoryReadResult {
        let items: [JSONValue]
        do {
            items = try JSONDecoder().decode([JSONValue].self, from: data)
        } catch let DecodingError.typeMismatch(_, context) where context.codingPath.isEmpty {
            throw .inventoryInvalidJSON(source: source, reason: "the top level is not an array")
        } catch {
            throw .inventoryInvalidJSON(source: source, reason: Self.describe(error))
        }
        let lines = elementLines(data)
        var result = InventoryReadResult()
        var seen: [String: Int] = [:]
        for (i, item) in items.enumerated() {
            let line = i < lines.count ? lines[i] : 0
            switch record(item) {
            case .failure(let reason):
                result.problems.append(InventoryProblem(source: source, line: line, reason: "element \(i + 1): \(reason)"))
            case .success(let r):
                let key = "\(r.provider)\u{1F}\(r.id)"
                if let first = seen[key] {
                    result.problems.append(InventoryProblem(
                        source: source, line: line,
                        reason: "element \(i + 1): duplicate id \(r.id) (first on line \(first)); this element is ignored"))
                } else {
                    seen[key] = line
                    result.records.append(r)
                }
            }
        }
        return result
    }

    private static func record(_ item: JSONValue) -> Result<InventoryRecord, InventoryElementError> {
        do throws(InventoryElementError) {
            return .success(try parse(item))
        } catch {
            return .failure(error)
        }
    }

    private static func parse(_ item: JSONValue) throws(InventoryElementError) -> InventoryRecord {
        guard case .object(let o) = item else { throw "not an object" }
        func text(_ key: String) throws(InventoryElementError) -> String? {
            switch o[key] {
            case nil, .null?: return nil
            case .string(let s)?: return s.allSatisfy(\.isWhitespace) ? nil : s
            // Account ids are numbers to a spreadsheet; keep their digits.
            case .int(let n)?: return String(n)
            default: throw InventoryElementError("`\(key)` is not a string")
            }
        }
        guard let provider = try text("provider") else { throw "missing provider" }
        guard let id = try text("id") else { throw "missing id" }
        guard let type = try text("type") else { throw "missing type" }
        var tags: [String: String] = [:]
        switch o["tags"] {
        case nil, .null?: break
        case .object(let t)?:
            for (k, v) in t {
                switch v {
                case .null: continue
                case .string(let s): if !s.isEmpty { tags[k] = s }
                case .int(let n): tags[k] = String(n)
                case .double(let d): tags[k] = String(d)
                case .bool(let b): tags[k] = String(b)
                case .array, .object: throw InventoryElementError("tag `\(k)` is not a string")
                }
            }
        default: throw "`tags` is not an object of key to value"
        }
        return InventoryRecord(
            provider: provider, id: id, type: type, name: try text("name"), account: try text("account"),
            region: try text("region"), tags: tags)
    }

    /// The line each top-level array element starts on, by a scan that only tracks strings and
    /// nesting (the document already decoded, so it is well-formed).
    static func elementLines(_ data: Data) -> [Int] {
        var lines: [Int] = []
        var line = 1, depth = 0
        var inString = false, escaped = false, expectElement = false
        for b in data {
            if b == UInt8(ascii: "\n") { line += 1 }
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch b {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): continue
            case UInt8(ascii: ","):
                if depth == 1 { expectElement = true }
                continue
            default: break
            }
            if depth == 1 && expectElement {
                lines.append(line)
                expectElement = false
            }
            switch b {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth == 1 { expectElement = true }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return lines
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c):
            let underlying = (c.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? c.debugDescription
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            return "\(c.debugDescription) at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        default:
            return "\(error)"
        }
    }
}

/// Why one element cannot be used; it never leaves this file (it becomes an `InventoryProblem`, and the
/// other elements are kept), so it is not a `DiscoveryError`.
private struct InventoryElementError: Error, ExpressibleByStringLiteral, CustomStringConvertible {
    let description: String
    init(_ s: String) { description = s }
    init(stringLiteral s: String) { description = s }
}
