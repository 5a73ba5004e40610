import Foundation

/// A rule that failed while running (the API server reports these as 422 causes too: `no such key: x`).
struct CELRuntimeError: Error, Sendable {
    var message: String
}

/// Evaluates a checked expression. `&&`, `||`, ternaries and `all`/`exists` absorb errors the way CEL's
/// commutative logic does: `false && error` is false, `true || error` is true.
struct CELEvaluator {
    var variables: [String: CELValue]

    func eval(_ e: CELExpr) throws(CELRuntimeError) -> CELValue {
        switch e {
        case .literal(let v):
            return v
        case .ident(let name, _):
            guard let v = variables[name] else { throw CELRuntimeError(message: "no such attribute: \(name)") }
            return v
        case .select(let target, let field, _):
            let t = try eval(target)
            guard case .map(let m) = t else { throw CELRuntimeError(message: "type '\(t.typeName)' does not support field selection") }
            guard let v = m[field] else { throw CELRuntimeError(message: "no such key: \(field)") }
            return v
        case .has(let target, let field, _):
            let t = try eval(target)
            guard case .map(let m) = t else { throw CELRuntimeError(message: "invalid type for field selection.") }
            return .bool(m[field] != nil)
        case .index(let target, let index, _):
            let t = try eval(target), i = try eval(index)
            switch (t, i) {
            case (.list(let l), .int(let n)):
                guard n >= 0, n < l.count else { throw CELRuntimeError(message: "index out of bounds: \(n)") }
                return l[Int(n)]
            case (.map(let m), .string(let k)):
                guard let v = m[k] else { throw CELRuntimeError(message: "no such key: \(k)") }
                return v
            default:
                throw CELRuntimeError(message: "no such overload: \(t.typeName)[\(i.typeName)]")
            }
        case .list(let items):
            var out: [CELValue] = []
            for item in items { out.append(try eval(item)) }
            return .list(out)
        case .unary(let op, let x, _):
            let v = try eval(x)
            switch (op, v) {
            case ("!", .bool(let b)): return .bool(!b)
            case ("-", .int(let i)): return .int(-i)
            case ("-", .double(let d)): return .double(-d)
            default: throw CELRuntimeError(message: "no such overload: \(op)\(v.typeName)")
            }
        case .binary("&&", let l, let r, _), .binary("||", let l, let r, _):
            let isAnd: Bool
            if case .binary("&&", _, _, _) = e { isAnd = true } else { isAnd = false }
            // The deciding value wins over an error on the other side.
            let lv = Result { () throws(CELRuntimeError) in try truth(l) }
            if case .success(let b) = lv, b != isAnd { return .bool(b) }
            let rv = Result { () throws(CELRuntimeError) in try truth(r) }
            if case .success(let b) = rv, b != isAnd { return .bool(b) }
            _ = try lv.get()
            _ = try rv.get()
            return .bool(isAnd)
        case .binary(let op, let l, let r, _):
            return try Self.binary(op, try eval(l), try eval(r))
        case .ternary(let c, let a, let b):
            return try truth(c) ? try eval(a) : try eval(b)
        case .call(let name, let target, let args, _):
            let t = try target.map { x throws(CELRuntimeError) in try eval(x) }
            var values: [CELValue] = []
            for a in args { values.append(try eval(a)) }
            return try Self.call(name, t, values)
        case .comprehension(let kind, let range, let variable, let body, _):
            let r = try eval(range)
            let elements: [CELValue]
            switch r {
            case .list(let l): elements = l
            case .map(let m): elements = m.keys.sorted().map(CELValue.string)
            default: throw CELRuntimeError(message: "expression of type '\(r.typeName)' cannot be range of a comprehension")
            }
            var inner = self
            switch kind {
            case "all", "exists":
                let decisive = kind == "exists"
                var firstError: CELRuntimeError?
                for el in elements {
                    inner.variables[variable] = el
                    do {
                        if try inner.truth(body) == decisive { return .bool(decisive) }
                    } catch {
                        firstError = firstError ?? error
                    }
                }
                if let firstError { throw firstError }
                return .bool(!decisive)
            case "exists_one":
                var n = 0
                for el in elements {
                    inner.variables[variable] = el
                    if try inner.truth(body) { n += 1 }
                }
                return .bool(n == 1)
            case "filter":
                var out: [CELValue] = []
                for el in elements {
                    inner.variables[variable] = el
                    if try inner.truth(body) { out.append(el) }
                }
                return .list(out)
            default:
                var out: [CELValue] = []
                for el in elements {
                    inner.variables[variable] = el
                    out.append(try inner.eval(body))
                }
                return .list(out)
            }
        }
    }

    func truth(_ e: CELExpr) throws(CELRuntimeError) -> Bool {
        let v = try eval(e)
        guard case .bool(let b) = v else { throw CELRuntimeError(message: "no such overload: expected bool, got \(v.typeName)") }
        return b
    }

    static func binary(_ op: String, _ l: CELValue, _ r: CELValue) throws(CELRuntimeError) -> CELValue {
        func noOverload() -> CELRuntimeError { CELRuntimeError(message: "no such overload: \(l.typeName) \(op) \(r.typeName)") }
        switch op {
        case "==": return .bool(CELValue.equal(l, r))
        case "!=": return .bool(!CELValue.equal(l, r))
        case "<", "<=", ">", ">=":
            let order: Int
            if let x = l.number, let y = r.number {
                order = x < y ? -1 : (x == y ? 0 : 1)
            } else if case .string(let x) = l, case .string(let y) = r {
                order = x < y ? -1 : (x == y ? 0 : 1)
            } else if case .bool(let x) = l, case .bool(let y) = r {
                order = x == y ? 0 : (!x ? -1 : 1)
            } else {
                throw noOverload()
            }
            switch op {
            case "<": return .bool(order < 0)
            case "<=": return .bool(order <= 0)
            case ">": return .bool(order > 0)
            default: return .bool(order >= 0)
            }
        case "in":
            switch r {
            case .list(let items): return .bool(items.contains { CELValue.equal($0, l) })
            case .map(let m):
                guard case .string(let k) = l else { throw noOverload() }
                return .bool(m[k] != nil)
            default: throw noOverload()
            }
        case "+":
            switch (l, r) {
            case (.string(let x), .string(let y)): return .string(x + y)
            case (.list(let x), .list(let y)): return .list(x + y)
            case (.int(let x), .int(let y)):
                let (v, overflow) = x.addingReportingOverflow(y)
                if overflow { throw CELRuntimeError(message: "integer overflow") }
                return .int(v)
            case (.double(let x), .double(let y)): return .double(x + y)
            default: throw noOverload()
            }
        default:
            switch (l, r) {
            case (.int(let x), .int(let y)):
                switch op {
                case "-":
                    let (v, overflow) = x.subtractingReportingOverflow(y)
                    if overflow { throw CELRuntimeError(message: "integer overflow") }
                    return .int(v)
                case "*":
                    let (v, overflow) = x.multipliedReportingOverflow(by: y)
                    if overflow { throw CELRuntimeError(message: "integer overflow") }
                    return .int(v)
                case "/":
                    if y == 0 { throw CELRuntimeError(message: "division by zero") }
                    return .int(x / y)
                default:
                    if y == 0 { throw CELRuntimeError(message: "modulus by zero") }
                    return .int(x % y)
                }
            case (.double(let x), .double(let y)):
                switch op {
                case "-": return .double(x - y)
                case "*": return .double(x * y)
                case "/": return .double(x / y)
                default: throw noOverload()
                }
            default: throw noOverload()
            }
        }
    }

    static func call(_ name: String, _ target: CELValue?, _ args: [CELValue]) throws(CELRuntimeError) -> CELValue {
        let all = (target.map { [$0] } ?? []) + args
        func noOverload() -> CELRuntimeError { CELRuntimeError(message: "no such overload: \(name)(\(all.map(\.typeName).joined(separator: ", ")))") }
        switch (name, all.first, all.count > 1 ? all[1] : nil) {
        case ("size", .string(let s)?, nil): return .int(Int64(s.count))
        case ("size", .list(let l)?, nil): return .int(Int64(l.count))
        case ("size", .map(let m)?, nil): return .int(Int64(m.count))
        case ("startsWith", .string(let s)?, .string(let p)?): return .bool(s.hasPrefix(p))
        case ("endsWith", .string(let s)?, .string(let p)?): return .bool(s.hasSuffix(p))
        case ("contains", .string(let s)?, .string(let p)?): return .bool(p.isEmpty || s.contains(p))
        case ("matches", .string(let s)?, .string(let p)?):
            // RE2 and NSRegularExpression agree on the expressions CRDs use (classes, anchors, repeats).
            guard let re = try? NSRegularExpression(pattern: p) else {
                throw CELRuntimeError(message: "error parsing regexp: invalid regular expression: `\(p)`")
            }
            return .bool(re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil)
        case ("lowerAscii", .string(let s)?, nil): return .string(String(s.map { $0.isASCII ? Character($0.lowercased()) : $0 }))
        case ("upperAscii", .string(let s)?, nil): return .string(String(s.map { $0.isASCII ? Character($0.uppercased()) : $0 }))
        case ("string", let v?, nil): return .string(v.formatted)
        case ("int", .int(let i)?, nil): return .int(i)
        case ("int", .double(let d)?, nil):
            guard d.isFinite, abs(d) < 9.2e18 else { throw CELRuntimeError(message: "integer overflow") }
            return .int(Int64(d))
        case ("int", .string(let s)?, nil):
            guard let i = Int64(s) else { throw CELRuntimeError(message: "cannot convert \(s) to int") }
            return .int(i)
        case ("double", let v?, nil):
            if let d = v.number { return .double(d) }
            if case .string(let s) = v, let d = Double(s) { return .double(d) }
            throw noOverload()
        case ("format", .string(let f)?, .list(let values)?):
            return .string(try format(f, values))
        default:
            throw noOverload()
        }
    }

    /// `'...%d...%s'.format([...])`: the verbs CRD messages use (%s, %d, %f, %v and %%).
    static func format(_ f: String, _ values: [CELValue]) throws(CELRuntimeError) -> String {
        var out = "", next = 0
        var chars = f.makeIterator()
        while let ch = chars.next() {
            guard ch == "%" else { out.append(ch); continue }
            guard let verb = chars.next() else { throw CELRuntimeError(message: "unexpected end of format string") }
            if verb == "%" { out.append("%"); continue }
            guard next < values.count else { throw CELRuntimeError(message: "index \(next) out of range") }
            let v = values[next]
            next += 1
            switch verb {
            case "s", "v", "d": out += v.formatted
            case "f": out += String(format: "%f", v.number ?? 0)
            default: throw CELRuntimeError(message: "unrecognized formatting clause \"\(verb)\"")
            }
        }
        return out
    }
}
