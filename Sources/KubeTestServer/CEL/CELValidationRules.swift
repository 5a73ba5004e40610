import Foundation
import KubeCore

/// The `x-kubernetes-validations` of one CRD version, compiled at CRD creation and evaluated on every write
/// of its objects, as the API server does: one 422 cause per failed rule, transition rules (`oldSelf`) only
/// where the old object has the node.
struct CELValidationRules: Sendable {
    struct Rule: Sendable {
        var source: String
        var program: CELExpr
        var message: String?
        var messageExpression: CELExpr?
        var reason: String?
        var fieldPath: String?
        var isTransition: Bool
    }

    /// Rules by schema location ("" = root, "properties[spec]", "properties[spec].properties[tags].items").
    var rules: [String: [Rule]] = [:]

    var isEmpty: Bool { rules.isEmpty }

    // MARK: compiling (CRD creation)

    static let perExpressionCostLimit = 10_000_000.0
    static let totalCostLimit = 100_000_000.0

    /// Compiles every rule of `schema`; the causes are the API server's for a CRD it refuses.
    static func compile(schema: JSONValue, fieldPrefix: String) -> Result<CELValidationRules, CRDProblems> {
        var out = CELValidationRules()
        var causes: [StatusResponse.Cause] = []
        var expensive: [(path: String, cost: Double)] = []
        var total = 0.0

        /// Per-expression budget and the schema's total (each rule counted as often as its node can occur).
        func charge(_ what: String, _ cost: Double, cardinality: Double, field: String) {
            if cost > perExpressionCostLimit {
                causes.append(.init(reason: "FieldValueForbidden", message: "Forbidden: \(costMessage("estimated \(what) cost", cost, perExpressionCostLimit))", field: field))
            }
            let contribution = cost * cardinality
            total += contribution
            if contribution >= totalCostLimit / 100 { expensive.append((field, contribution)) }
        }

        func walk(_ s: JSONValue, _ location: String, cardinality: Double) {
            let rulesPath = location.isEmpty ? "\(fieldPrefix).x-kubernetes-validations" : "\(fieldPrefix).\(location).x-kubernetes-validations"
            for (i, raw) in (s["x-kubernetes-validations"]?.arrayValue ?? []).enumerated() {
                let ruleField = "\(rulesPath)[\(i)].rule"
                let source = raw["rule"]?.stringValue ?? ""
                do throws(CELCompileError) {
                    let expr = try CELParser.parse(source)
                    let transition = references(expr, "oldSelf")
                    let checker = CELChecker(selfSchema: s, transition: transition)
                    let typed = try checker.check(expr)
                    guard typed.type == .bool || typed.type == .dyn else {
                        throw CELCompileError(message: "cel expression must evaluate to a bool", pos: 0)
                    }
                    charge("rule", typed.cost, cardinality: cardinality, field: ruleField)
                    var rule = Rule(source: source, program: expr, message: raw["message"]?.stringValue,
                                    reason: raw["reason"]?.stringValue, fieldPath: raw["fieldPath"]?.stringValue,
                                    isTransition: transition)
                    if let me = raw["messageExpression"]?.stringValue {
                        let meField = "\(rulesPath)[\(i)].messageExpression"
                        do throws(CELCompileError) {
                            let mexpr = try CELParser.parse(me)
                            let mt = try checker.check(mexpr)
                            guard mt.type == .string || mt.type == .dyn else {
                                throw CELCompileError(message: "messageExpression must evaluate to a string", pos: 0)
                            }
                            charge("messageExpression", mt.cost, cardinality: cardinality, field: meField)
                            rule.messageExpression = mexpr
                        } catch {
                            causes.append(.init(reason: "FieldValueInvalid", message: "Invalid value: \(goJSON(me)): messageExpression compilation failed: \(error.rendered(me))", field: meField))
                        }
                    }
                    out.rules[location, default: []].append(rule)
                } catch {
                    causes.append(.init(reason: "FieldValueInvalid", message: "Invalid value: \(ruleJSON(raw)): compilation failed: \(error.rendered(source))", field: ruleField))
                }
            }
            func child(_ name: String) -> String { location.isEmpty ? name : "\(location).\(name)" }
            for (k, p) in (s["properties"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                walk(p, child("properties[\(k)]"), cardinality: cardinality)
            }
            if let items = s["items"], case .object = items {
                walk(items, child("items"), cardinality: cardinality * CELChecker.maxSize(s))
            }
            if let ap = s["additionalProperties"], case .object = ap {
                walk(ap, child("additionalProperties"), cardinality: cardinality * CELChecker.maxSize(s))
            }
        }
        walk(schema, "", cardinality: 1)
        if total > totalCostLimit {
            for e in expensive.sorted(by: { $0.cost > $1.cost }).prefix(4) {
                causes.append(.init(reason: "FieldValueForbidden", message: "Forbidden: contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema", field: e.path))
            }
            causes.append(.init(reason: "FieldValueForbidden", message: "Forbidden: \(costMessage("x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema", total, totalCostLimit))", field: fieldPrefix))
        }
        return causes.isEmpty ? .success(out) : .failure(CRDProblems(causes: causes))
    }

    static func costMessage(_ what: String, _ cost: Double, _ limit: Double) -> String {
        let factor = cost / limit
        let shown = factor > 100 ? "more than 100x" : (factor < 1.5 ? String(format: "%fx", factor) : String(format: "%.1fx", factor))
        return "\(what) exceeds budget by factor of \(shown) (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)"
    }

    static func references(_ e: CELExpr, _ name: String) -> Bool {
        switch e {
        case .literal: return false
        case .ident(let n, _): return n == name
        case .select(let t, _, _), .has(let t, _, _): return references(t, name)
        case .index(let a, let b, _), .binary(_, let a, let b, _): return references(a, name) || references(b, name)
        case .list(let items): return items.contains { references($0, name) }
        case .unary(_, let x, _): return references(x, name)
        case .ternary(let a, let b, let c): return references(a, name) || references(b, name) || references(c, name)
        case .call(_, let t, let args, _): return (t.map { references($0, name) } ?? false) || args.contains { references($0, name) }
        case .comprehension(_, let r, let v, let body, _): return references(r, name) || (v != name && references(body, name))
        }
    }

    /// The rule as Go's %v of the ValidationRule struct, JSON-encoded (how the API server shows it in the cause).
    static func ruleJSON(_ raw: JSONValue) -> String {
        func str(_ k: String) -> String { goJSON(raw[k]?.stringValue ?? "") }
        let reason = raw["reason"]?.stringValue.map(goJSON) ?? "null"
        let optional = raw["optionalOldSelf"]?.boolValue.map { $0 ? "true" : "false" } ?? "null"
        return "{\"Rule\":\(str("rule")),\"Message\":\(str("message")),\"MessageExpression\":\(str("messageExpression")),\"Reason\":\(reason),\"FieldPath\":\(str("fieldPath")),\"OptionalOldSelf\":\(optional)}"
    }

    /// A JSON string as Go's encoding/json writes it (<, > and & escaped).
    static func goJSON(_ s: String) -> String {
        var b: [UInt8] = []
        JSONValue.string(s).write(into: &b)
        return String(decoding: b, as: UTF8.self)
            .replacingOccurrences(of: "<", with: "\\u003c")
            .replacingOccurrences(of: ">", with: "\\u003e")
            .replacingOccurrences(of: "&", with: "\\u0026")
    }

    // MARK: evaluating (writes of custom resources)

    /// Failed rules of `object` (with `old` for transition rules) against `schema`.
    func validate(_ object: JSONValue, old: JSONValue?, schema: JSONValue) -> [StatusResponse.Cause] {
        var causes: [StatusResponse.Cause] = []
        walk(object, old, schema, location: "", field: "", causes: &causes, root: true)
        return causes
    }

    private func walk(_ value: JSONValue, _ old: JSONValue?, _ schema: JSONValue, location: String, field: String,
                      causes: inout [StatusResponse.Cause], root: Bool = false) {
        if let rs = rules[location] {
            let selfValue = CELValue(value)
            let oldValue = old.map(CELValue.init)
            for rule in rs {
                if rule.isTransition && oldValue == nil { continue }
                var vars = ["self": selfValue]
                if let oldValue { vars["oldSelf"] = oldValue }
                let evaluator = CELEvaluator(variables: vars)
                do throws(CELRuntimeError) {
                    if try evaluator.truth(rule.program) { continue }
                    causes.append(failure(rule, evaluator, field: field))
                } catch {
                    let type = schema["type"]?.stringValue ?? "object"
                    causes.append(.init(reason: "FieldValueInvalid",
                                        message: "Invalid value: \(q(type)): \(error.message) evaluating rule: \(rule.message?.trimmingCharacters(in: .whitespaces) ?? rule.source)",
                                        field: field.isEmpty ? "<nil>" : field))
                }
            }
        }
        func child(_ name: String) -> String { location.isEmpty ? name : "\(location).\(name)" }
        switch value {
        case .object(let o):
            let props = schema["properties"]?.objectValue
            for k in o.keys.sorted() {
                if root, k == "metadata" || k == "apiVersion" || k == "kind" { continue }
                let childField = field.isEmpty ? k : "\(field).\(k)"
                if let ps = props?[k] {
                    walk(o[k]!, old?[k], ps, location: child("properties[\(k)]"), field: childField, causes: &causes)
                } else if let ap = schema["additionalProperties"], case .object = ap {
                    walk(o[k]!, old?[k], ap, location: child("additionalProperties"), field: "\(field)[\(k)]", causes: &causes)
                }
            }
        case .array(let a):
            guard let items = schema["items"], case .object = items else { return }
            let oldItems = old?.arrayValue ?? []
            let listType = schema["x-kubernetes-list-type"]?.stringValue
            let keys = schema["x-kubernetes-list-map-keys"]?.arrayValue?.compactMap(\.stringValue) ?? []
            for (i, item) in a.enumerated() {
                // Old items correlate by key (map lists) or value (sets); atomic lists have no old items.
                var oldItem: JSONValue?
                if listType == "map", !keys.isEmpty {
                    oldItem = oldItems.first { o in keys.allSatisfy { o[$0] == item[$0] } }
                } else if listType == "set" {
                    oldItem = oldItems.first { $0 == item }
                }
                walk(item, oldItem, items, location: child("items"), field: "\(field)[\(i)]", causes: &causes)
            }
        default:
            break
        }
    }

    private func failure(_ rule: Rule, _ evaluator: CELEvaluator, field: String) -> StatusResponse.Cause {
        var text = rule.message?.trimmingCharacters(in: .whitespaces).nilIfEmpty ?? "failed rule: \(rule.source)"
        if let me = rule.messageExpression, case .string(let s)? = try? evaluator.eval(me),
           !s.trimmingCharacters(in: .whitespaces).isEmpty, !s.contains("\n") {
            text = s
        }
        var path = field
        if let fp = rule.fieldPath, !fp.isEmpty {
            path = fp.hasPrefix(".") || fp.hasPrefix("[") ? field + fp : "\(field).\(fp)"
        }
        let reason = rule.reason ?? "FieldValueInvalid"
        let prefix: String
        switch reason {
        case "FieldValueRequired": prefix = "Required value"
        case "FieldValueForbidden": prefix = "Forbidden"
        case "FieldValueDuplicate": prefix = "Duplicate value"
        default: prefix = "Invalid value"
        }
        return .init(reason: reason, message: "\(prefix): \(text)", field: path.isEmpty ? "<nil>" : path)
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
