import Foundation

/// A parsed Kubernetes label selector (the `labelSelector` query string syntax):
/// `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k` (exists), `!k` (does not exist), `k>n`, `k<n`,
/// requirements joined by commas (all must hold). An empty selector matches everything.
public struct LabelSelector: Sendable, Hashable, CustomStringConvertible {
    public enum Operator: String, Sendable, Hashable {
        case equals = "="
        case notEquals = "!="
        case `in` = "in"
        case notIn = "notin"
        case exists = "exists"
        case doesNotExist = "!"
        case greaterThan = ">"
        case lessThan = "<"
    }

    public struct Requirement: Sendable, Hashable {
        public var key: String
        public var op: Operator
        public var values: [String]

        public init(key: String, op: Operator, values: [String] = []) {
            self.key = key
            self.op = op
            self.values = values
        }

        public func matches(_ labels: [String: String]) -> Bool {
            let v = labels[key]
            switch op {
            case .equals, .in: return v.map { values.contains($0) } ?? false
            case .notEquals, .notIn: return v.map { !values.contains($0) } ?? true
            case .exists: return v != nil
            case .doesNotExist: return v == nil
            case .greaterThan, .lessThan:
                guard let v, let n = Int64(v), let bound = values.first.flatMap({ Int64($0) }) else { return false }
                return op == .greaterThan ? n > bound : n < bound
            }
        }
    }

    public var requirements: [Requirement]

    public init(_ requirements: [Requirement] = []) { self.requirements = requirements }

    /// A selector for equality on every pair (`matchLabels`).
    public init(matchLabels: [String: String]) {
        requirements = matchLabels.keys.sorted().map { Requirement(key: $0, op: .equals, values: [matchLabels[$0]!]) }
    }

    public var isEmpty: Bool { requirements.isEmpty }

    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { $0.matches(labels) }
    }

    public var description: String {
        requirements.map { r in
            switch r.op {
            case .equals: return "\(r.key)=\(r.values.first ?? "")"
            case .notEquals: return "\(r.key)!=\(r.values.first ?? "")"
            case .in: return "\(r.key) in (\(r.values.joined(separator: ",")))"
            case .notIn: return "\(r.key) notin (\(r.values.joined(separator: ",")))"
            case .exists: return r.key
            case .doesNotExist: return "!\(r.key)"
            case .greaterThan: return "\(r.key)>\(r.values.first ?? "")"
            case .lessThan: return "\(r.key)<\(r.values.first ?? "")"
            }
        }.joined(separator: ",")
    }

    /// Parses the query-string syntax. Errors read like the API server's ("unable to parse requirement: ...").
    public init(parsing s: String) throws(KubeCoreError) {
        var lexer = SelectorLexer(Array(s.unicodeScalars))
        var reqs: [Requirement] = []
        var tokens: [SelectorLexer.Token] = []
        while true {
            let t = try lexer.next()
            tokens.append(t)
            if t == .end { break }
        }
        var i = 0
        func peek() -> SelectorLexer.Token { tokens[i] }
        func advance() -> SelectorLexer.Token { defer { i += 1 }; return tokens[i] }
        if peek() == .end { requirements = []; return }
        while true {
            // key (with optional leading "!")
            var op: Operator? = nil
            if peek() == .bang {
                _ = advance()
                op = .doesNotExist
            }
            guard case .ident(let key) = advance() else {
                throw KubeCoreError.invalidSelector("unable to parse requirement: found '\(tokens[i - 1].literal)', expected: identifier")
            }
            try Self.validateKey(key)
            if op == .doesNotExist {
                reqs.append(Requirement(key: key, op: .doesNotExist))
            } else {
                switch peek() {
                case .end, .comma:
                    reqs.append(Requirement(key: key, op: .exists))
                default:
                    let opTok = advance()
                    switch opTok {
                    case .ident("in"), .ident("notin"):
                        guard advance() == .open else {
                            throw KubeCoreError.invalidSelector("unable to parse requirement: found '\(tokens[i - 1].literal)' expected: '('")
                        }
                        var values: [String] = []
                        var expectValue = true
                        loop: while true {
                            let t = advance()
                            switch t {
                            case .close:
                                if expectValue && !values.isEmpty { values.append("") }
                                break loop
                            case .comma:
                                if expectValue { values.append("") }
                                expectValue = true
                            case .ident(let v):
                                guard expectValue else {
                                    throw KubeCoreError.invalidSelector("unable to parse requirement: found '\(v)', expected: ',' or ')'")
                                }
                                try Self.validateValue(v)
                                values.append(v)
                                expectValue = false
                            default:
                                throw KubeCoreError.invalidSelector("unable to parse requirement: found '\(t.literal)', expected: ',', ')' or identifier")
                            }
                        }
                        if values.isEmpty {
                            throw KubeCoreError.invalidSelector("unable to parse requirement: for 'in', 'notin' operators, values set can't be empty")
                        }
                        reqs.append(Requirement(key: key, op: opTok == .ident("in") ? .in : .notIn, values: values))
                    case .eq, .doubleEq, .notEq, .gt, .lt:
                        var value = ""
                        switch peek() {
                        case .ident(let v): value = v; _ = advance()
                        case .end, .comma: value = ""
                        default:
                            throw KubeCoreError.invalidSelector("unable to parse requirement: found '\(peek().literal)', expected: identifier")
                        }
                        let o: Operator
                        switch opTok {
                        case .notEq: o = .notEquals
                        case .gt: o = .greaterThan
                        case .lt: o = .lessThan
                        default: o = .equals
                        }
                        if o == .greaterThan || o == .lessThan {
                            guard Int64(value) != nil else {
                                throw KubeCoreError.invalidSelector("unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer")
                            }
                        } else {
                            try Self.validateValue(value)
                        }
                        reqs.append(Requirement(key: key, op: o, values: [value]))
                    default:
                        throw KubeCoreError.invalidSelector("unable to parse requirement: found '\(opTok.literal)', expected: in, notin, =, ==, !=, gt, lt")
                    }
                }
            }
            switch advance() {
            case .end:
                requirements = reqs
                return
            case .comma:
                continue
            default:
                throw KubeCoreError.invalidSelector("found '\(tokens[i - 1].literal)', expected: ',' or 'end of string'")
            }
        }
    }

    /// Label keys: optional DNS-subdomain prefix and "/", then a name of at most 63 characters.
    static func validateKey(_ key: String) throws(KubeCoreError) {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        let name = String(parts.last ?? "")
        guard parts.count <= 2, !name.isEmpty, name.count <= 63, isQualifiedNamePart(name),
              parts.count == 1 || (!parts[0].isEmpty && parts[0].count <= 253)
        else {
            throw KubeCoreError.invalidSelector("unable to parse requirement: invalid label key \"\(key)\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character")
        }
    }

    static func validateValue(_ v: String) throws(KubeCoreError) {
        guard v.isEmpty || (v.count <= 63 && isQualifiedNamePart(v)) else {
            throw KubeCoreError.invalidSelector("unable to parse requirement: invalid label value: \"\(v)\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character")
        }
    }

    static func isQualifiedNamePart(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard let f = u.first, let l = u.last else { return false }
        func alnum(_ c: UInt8) -> Bool { (48...57).contains(c) || (65...90).contains(c) || (97...122).contains(c) }
        return alnum(f) && alnum(l) && u.allSatisfy { alnum($0) || $0 == 45 || $0 == 95 || $0 == 46 }
    }
}

struct SelectorLexer {
    enum Token: Hashable {
        case ident(String), comma, open, close, bang, eq, doubleEq, notEq, gt, lt, end
        var literal: String {
            switch self {
            case .ident(let s): return s
            case .comma: return ","
            case .open: return "("
            case .close: return ")"
            case .bang: return "!"
            case .eq: return "="
            case .doubleEq: return "=="
            case .notEq: return "!="
            case .gt: return ">"
            case .lt: return "<"
            case .end: return ""
            }
        }
    }

    let s: [Unicode.Scalar]
    var i = 0
    init(_ s: [Unicode.Scalar]) { self.s = s }

    static func special(_ c: Unicode.Scalar) -> Bool { "!(),=<>".unicodeScalars.contains(c) }

    mutating func next() throws(KubeCoreError) -> Token {
        while i < s.count, s[i].properties.isWhitespace { i += 1 }
        guard i < s.count else { return .end }
        let c = s[i]
        i += 1
        switch c {
        case ",": return .comma
        case "(": return .open
        case ")": return .close
        case ">": return .gt
        case "<": return .lt
        case "=":
            if i < s.count, s[i] == "=" { i += 1; return .doubleEq }
            return .eq
        case "!":
            if i < s.count, s[i] == "=" { i += 1; return .notEq }
            return .bang
        default:
            var id = String(c)
            while i < s.count, !s[i].properties.isWhitespace, !Self.special(s[i]) {
                id.unicodeScalars.append(s[i])
                i += 1
            }
            return .ident(id)
        }
    }
}

/// A parsed field selector (`metadata.name=x,metadata.namespace!=y`): equality and inequality on named fields.
public struct FieldSelector: Sendable, Hashable {
    public struct Requirement: Sendable, Hashable {
        public var field: String
        public var value: String
        public var negated: Bool
    }

    public var requirements: [Requirement]

    public init(parsing s: String) throws(KubeCoreError) {
        var reqs: [Requirement] = []
        for part in s.split(separator: ",") where !part.trimmingCharacters(in: .whitespaces).isEmpty {
            let p = String(part)
            if let r = p.range(of: "!=") {
                reqs.append(Requirement(field: String(p[..<r.lowerBound]).trimmingCharacters(in: .whitespaces),
                                        value: String(p[r.upperBound...]).trimmingCharacters(in: .whitespaces), negated: true))
            } else if let r = p.range(of: "==") ?? p.range(of: "=") {
                reqs.append(Requirement(field: String(p[..<r.lowerBound]).trimmingCharacters(in: .whitespaces),
                                        value: String(p[r.upperBound...]).trimmingCharacters(in: .whitespaces), negated: false))
            } else {
                throw KubeCoreError.invalidSelector("invalid selector: '\(s)'; can't understand '\(p)'")
            }
        }
        requirements = reqs
    }

    /// True when every requirement holds; `field` returns the value of a field name (nil = absent = "").
    public func matches(_ field: (String) -> String?) -> Bool {
        requirements.allSatisfy { r in
            let v = field(r.field) ?? ""
            return r.negated ? v != r.value : v == r.value
        }
    }
}
