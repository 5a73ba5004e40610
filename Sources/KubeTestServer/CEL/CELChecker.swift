import Foundation
import KubeCore

/// Type-checks a parsed rule against the schema of the node it sits on and estimates its cost the way the
/// API server does at CRD creation (worst case from maxLength/maxItems/maxProperties, else from the 3 MiB
/// request limit). Functions outside the subset this server evaluates are compile errors, never passed.
struct CELChecker {
    /// What the checker knows of a subexpression: its type, the schema behind it (for size bounds), its
    /// worst-case size (characters or items) and the estimated cost of computing it.
    struct Typed {
        var type: CELType
        var schema: JSONValue?
        var size: Double
        var cost: Double
    }

    static let maxRequestBytes = 3.0 * 1024 * 1024
    /// cel-go's cost factor for walking a string's characters.
    static let traversal = 0.1

    /// Functions this server evaluates; every other name is refused at CRD creation.
    static let supportedFunctions: Set<String> = [
        "size", "startsWith", "endsWith", "contains", "matches", "string", "int", "double", "format",
        "lowerAscii", "upperAscii",
    ]

    var variables: [String: Typed]

    init(selfSchema: JSONValue?, transition: Bool) {
        let t = Self.typed(selfSchema, cost: 1)
        variables = ["self": t]
        if transition { variables["oldSelf"] = t }
    }

    static func typed(_ schema: JSONValue?, cost: Double) -> Typed {
        Typed(type: CELType(schema: schema), schema: schema, size: maxSize(schema), cost: cost)
    }

    /// Worst-case length of a string or list, or entries of a map, under `schema`.
    static func maxSize(_ schema: JSONValue?) -> Double {
        guard let schema else { return maxRequestBytes }
        switch schema["type"]?.stringValue {
        case "string":
            if let m = schema["maxLength"]?.doubleValue { return m }
            if let e = schema["enum"]?.arrayValue { return Double(e.compactMap { $0.stringValue?.count }.max() ?? 0) }
            return maxRequestBytes - 2
        case "array":
            if let m = schema["maxItems"]?.doubleValue { return m }
            return ((maxRequestBytes - 2) / (minSerializedSize(schema["items"]) + 1)).rounded(.down)
        case "object":
            if let m = schema["maxProperties"]?.doubleValue { return m }
            return ((maxRequestBytes - 2) / (minSerializedSize(schema["additionalProperties"]) + 4)).rounded(.down)
        default:
            return 1
        }
    }

    static func minSerializedSize(_ schema: JSONValue?) -> Double {
        switch schema?["type"]?.stringValue {
        case "string": return 2
        case "boolean": return 4
        case "integer", "number": return 1
        default: return 2
        }
    }

    func check(_ e: CELExpr) throws(CELCompileError) -> Typed {
        switch e {
        case .literal(let v):
            let size = Double(v.formatted.count)
            switch v {
            case .null: return Typed(type: .null, size: 0, cost: 0)
            case .bool: return Typed(type: .bool, size: 1, cost: 0)
            case .int: return Typed(type: .int, size: 1, cost: 0)
            case .uint: return Typed(type: .uint, size: 1, cost: 0)
            case .double: return Typed(type: .double, size: 1, cost: 0)
            case .string: return Typed(type: .string, size: size, cost: 0)
            case .list, .map: return Typed(type: .dyn, size: size, cost: 0)
            }
        case .ident(let name, let pos):
            guard let t = variables[name] else {
                throw CELCompileError(message: "undeclared reference to '\(name)' (in container '')", pos: pos)
            }
            return Typed(type: t.type, schema: t.schema, size: t.size, cost: 1)
        case .select(let target, let field, let pos), .has(let target, let field, let pos):
            let t = try check(target)
            var r = try Self.field(t, field, pos)
            r.cost += t.cost + 1
            if case .has = e { return Typed(type: .bool, size: 1, cost: r.cost) }
            return r
        case .index(let target, let index, let pos):
            let t = try check(target), i = try check(index)
            let cost = t.cost + i.cost + 1
            switch t.type {
            case .list(let el) where i.type == .int || i.type == .dyn:
                var r = Self.typed(t.schema?["items"], cost: cost)
                if t.schema == nil { r.type = el }
                return r
            case .map where i.type == .string || i.type == .dyn, .object where i.type == .string || i.type == .dyn:
                return Typed(type: .dyn, schema: t.schema?["additionalProperties"], size: Self.maxSize(t.schema?["additionalProperties"]), cost: cost)
            case .dyn:
                return Typed(type: .dyn, size: Self.maxRequestBytes, cost: cost)
            default:
                throw CELCompileError(message: "found no matching overload for '_[_]' applied to '(\(t.type.name), \(i.type.name))'", pos: pos)
            }
        case .list(let items):
            var cost = 10.0, el: CELType? = nil, size = 0.0
            for item in items {
                let t = try check(item)
                cost += t.cost
                size = max(size, t.size)
                el = el == nil || el == t.type ? t.type : .dyn
            }
            return Typed(type: .list(el ?? .dyn), size: Double(items.count), cost: cost)
        case .unary(let op, let x, let pos):
            let t = try check(x)
            let ok = op == "!" ? (t.type == .bool || t.type == .dyn) : (t.type.isNumeric || t.type == .dyn)
            guard ok else {
                throw CELCompileError(message: "found no matching overload for '\(op)_' applied to '(\(t.type.name))'", pos: pos)
            }
            return Typed(type: t.type, size: 1, cost: t.cost + 1)
        case .binary(let op, let l, let r, let pos):
            return try binary(op, try check(l), try check(r), pos)
        case .ternary(let c, let a, let b):
            let tc = try check(c), ta = try check(a), tb = try check(b)
            guard tc.type == .bool || tc.type == .dyn else {
                throw CELCompileError(message: "found no matching overload for '_?_:_' applied to '(\(tc.type.name), \(ta.type.name), \(tb.type.name))'", pos: 0)
            }
            let type = ta.type == tb.type ? ta.type : (CELType.compatible(ta.type, tb.type) ? .dyn : ta.type)
            return Typed(type: type, schema: ta.schema, size: max(ta.size, tb.size), cost: tc.cost + max(ta.cost, tb.cost))
        case .call(let name, let target, let args, let pos):
            return try call(name, target.map { t throws(CELCompileError) in try check(t) }, try args.map { a throws(CELCompileError) in try check(a) }, pos)
        case .comprehension(let kind, let range, let variable, let body, let pos):
            let r = try check(range)
            let element: Typed
            switch r.type {
            case .list(let el):
                element = r.schema.map { Self.typed($0["items"], cost: 1) } ?? Typed(type: el, size: Self.maxRequestBytes, cost: 1)
            case .map, .object:
                element = Typed(type: .string, size: Self.maxRequestBytes, cost: 1)
            case .dyn:
                element = Typed(type: .dyn, size: Self.maxRequestBytes, cost: 1)
            default:
                throw CELCompileError(message: "expression of type '\(r.type.name)' cannot be range of a comprehension (must be list, map, or dynamic)", pos: pos)
            }
            var inner = self
            inner.variables[variable] = element
            let b = try inner.check(body)
            let cost = r.cost + r.size * (b.cost + 1)
            switch kind {
            case "all", "exists", "exists_one":
                guard b.type == .bool || b.type == .dyn else {
                    throw CELCompileError(message: "found no matching overload for '_&&_' applied to '(bool, \(b.type.name))'", pos: pos)
                }
                return Typed(type: .bool, size: 1, cost: cost)
            case "filter":
                return Typed(type: r.type, schema: r.schema, size: r.size, cost: cost)
            default:
                return Typed(type: .list(b.type), size: r.size, cost: cost)
            }
        }
    }

    static func field(_ t: Typed, _ field: String, _ pos: Int) throws(CELCompileError) -> Typed {
        switch t.type {
        case .object(let props):
            guard props[field] != nil else { throw CELCompileError(message: "undefined field '\(field)'", pos: pos) }
            return typed(t.schema?[path: "properties", field], cost: 0)
        case .map:
            return typed(t.schema?["additionalProperties"], cost: 0)
        case .dyn:
            return Typed(type: .dyn, size: maxRequestBytes, cost: 0)
        default:
            throw CELCompileError(message: "type '\(t.type.name)' does not support field selection", pos: pos)
        }
    }

    func binary(_ op: String, _ l: Typed, _ r: Typed, _ pos: Int) throws(CELCompileError) -> Typed {
        let name = op == "in" ? "@in" : "_\(op)_"
        func noOverload() -> CELCompileError {
            CELCompileError(message: "found no matching overload for '\(name)' applied to '(\(l.type.name), \(r.type.name))'", pos: pos)
        }
        let cost = l.cost + r.cost
        let dyn = l.type == .dyn || r.type == .dyn
        switch op {
        case "&&", "||":
            guard (l.type == .bool || l.type == .dyn) && (r.type == .bool || r.type == .dyn) else { throw noOverload() }
            return Typed(type: .bool, size: 1, cost: cost)
        case "==", "!=":
            guard CELType.compatible(l.type, r.type) else { throw noOverload() }
            let walk = l.type == .string || l.type.isList ? Self.traversal * min(l.size, r.size) : 0
            return Typed(type: .bool, size: 1, cost: cost + 1 + walk)
        case "<", "<=", ">", ">=":
            let ok = dyn || (l.type.isNumeric && r.type.isNumeric) || (l.type == r.type && (l.type == .string || l.type == .bool))
            guard ok else { throw noOverload() }
            return Typed(type: .bool, size: 1, cost: cost + 1 + (l.type == .string ? Self.traversal * min(l.size, r.size) : 0))
        case "in":
            switch r.type {
            case .list(let el) where CELType.compatible(el, l.type):
                return Typed(type: .bool, size: 1, cost: cost + 1 + r.size)
            case .map where l.type == .string || l.type == .dyn, .object where l.type == .string || l.type == .dyn:
                return Typed(type: .bool, size: 1, cost: cost + 1)
            case .dyn:
                return Typed(type: .bool, size: 1, cost: cost + 1 + r.size)
            default:
                throw noOverload()
            }
        case "+":
            if dyn { return Typed(type: .dyn, size: l.size + r.size, cost: cost + 1 + Self.traversal * (l.size + r.size)) }
            if l.type == .string && r.type == .string {
                return Typed(type: .string, size: l.size + r.size, cost: cost + 1 + Self.traversal * (l.size + r.size))
            }
            if l.type.isList && r.type.isList && CELType.compatible(l.type, r.type) {
                return Typed(type: l.type, size: l.size + r.size, cost: cost + 1 + l.size + r.size)
            }
            guard l.type.isNumeric && l.type == r.type else { throw noOverload() }
            return Typed(type: l.type, size: 1, cost: cost + 1)
        default:  // - * / %
            guard dyn || (l.type.isNumeric && l.type == r.type && !(op == "%" && l.type == .double)) else { throw noOverload() }
            return Typed(type: dyn ? .dyn : l.type, size: 1, cost: cost + 1)
        }
    }

    func call(_ name: String, _ target: Typed?, _ args: [Typed], _ pos: Int) throws(CELCompileError) -> Typed {
        guard Self.supportedFunctions.contains(name) else {
            throw CELCompileError(
                message: "function '\(name)' is outside the CEL subset KubeTestServer evaluates (Sources/KubeTestServer/CEL): extend CELChecker and CELEvaluator before using it in a CRD",
                pos: pos)
        }
        let all = (target.map { [$0] } ?? []) + args
        let cost = all.reduce(0) { $0 + $1.cost }
        func noOverload() -> CELCompileError {
            CELCompileError(message: "found no matching overload for '\(name)' applied to '\(target.map { "\($0.type.name)." } ?? "")(\(args.map(\.type.name).joined(separator: ", ")))'", pos: pos)
        }
        func isString(_ t: Typed) -> Bool { t.type == .string || t.type == .dyn }
        switch name {
        case "size":
            guard all.count == 1 else { throw noOverload() }
            switch all[0].type {
            case .string, .list, .map, .object, .dyn: return Typed(type: .int, size: 1, cost: cost + 1)
            default: throw noOverload()
            }
        case "startsWith", "endsWith":
            guard let t = target, args.count == 1, isString(t), isString(args[0]) else { throw noOverload() }
            return Typed(type: .bool, size: 1, cost: cost + 1 + Self.traversal * args[0].size)
        case "contains":
            guard let t = target, args.count == 1, isString(t), isString(args[0]) else { throw noOverload() }
            return Typed(type: .bool, size: 1, cost: cost + 1 + Self.traversal * t.size * args[0].size)
        case "matches":
            guard all.count == 2, isString(all[0]), isString(all[1]) else { throw noOverload() }
            return Typed(type: .bool, size: 1, cost: cost + 1 + Self.traversal * all[0].size * all[1].size)
        case "lowerAscii", "upperAscii":
            guard let t = target, args.isEmpty, isString(t) else { throw noOverload() }
            return Typed(type: .string, size: t.size, cost: cost + 1 + Self.traversal * t.size)
        case "string":
            guard target == nil, args.count == 1 else { throw noOverload() }
            // The API server has no size estimate for a converted number, so the result is unbounded.
            let size = args[0].type == .string ? args[0].size : .infinity
            return Typed(type: .string, size: size, cost: cost + 1)
        case "int", "double":
            guard target == nil, args.count == 1 else { throw noOverload() }
            return Typed(type: name == "int" ? .int : .double, size: 1, cost: cost + 1)
        case "format":
            guard let t = target, args.count == 1, isString(t), args[0].type.isList || args[0].type == .dyn else { throw noOverload() }
            let size = t.size + 20 * max(args[0].size, 1)
            return Typed(type: .string, size: size, cost: cost + 1 + Self.traversal * size)
        default:
            throw noOverload()
        }
    }
}

extension CELType {
    var isList: Bool { if case .list = self { return true } else { return false } }
}
