import Foundation
import KubeCore
import Yams

/// YAML manifests as untyped JSON (for applying CRDs and manifests through `DynamicApi`).
public enum YAMLDocuments {
    /// Every non-empty document of a (possibly multi-document) YAML text.
    public static func parse(_ text: String) throws -> [JSONValue] {
        var out: [JSONValue] = []
        for doc in try Yams.load_all(yaml: text) {
            let value = try convert(doc)
            if !value.isNull { out.append(value) }
        }
        return out
    }

    static func convert(_ any: Any) throws -> JSONValue {
        switch any {
        case is NSNull: return .null
        case let b as Bool: return .bool(b)
        case let i as Int: return .int(Int64(i))
        case let d as Double: return .double(d)
        case let s as String: return .string(s)
        case let a as [Any]: return .array(try a.map(convert))
        case let o as [String: Any]: return .object(try o.mapValues(convert))
        case let o as [AnyHashable: Any]:
            var m: [String: JSONValue] = [:]
            for (k, v) in o { m["\(k)"] = try convert(v) }
            return .object(m)
        case let date as Date: return .string(KubeTime.format(date))
        case let data as Data: return .string(data.base64EncodedString())
        default: return .string("\(any)")
        }
    }
}
