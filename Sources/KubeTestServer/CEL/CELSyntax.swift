import Foundation

/// A parsed CEL expression (the subset CRD validation rules use). `pos` is the 0-based character offset
/// cel-go reports errors at (the `.` of a select, the operator of a binary expression, a call's `(`).
indirect enum CELExpr: Sendable {
    case literal(CELValue)
    case ident(String, pos: Int)
    case select(CELExpr, String, pos: Int)
    /// `has(x.f)`: the select is tested, not read.
    case has(CELExpr, String, pos: Int)
    case index(CELExpr, CELExpr, pos: Int)
    case list([CELExpr])
    case unary(String, CELExpr, pos: Int)
    case binary(String, CELExpr, CELExpr, pos: Int)
    case ternary(CELExpr, CELExpr, CELExpr)
    /// A function (`size(x)`, `string(x)`) or a method (`x.startsWith(y)`: target set).
    case call(String, target: CELExpr?, args: [CELExpr], pos: Int)
    /// `range.all(v, body)` and its siblings (`exists`, `exists_one`, `filter`, `map`).
    case comprehension(String, range: CELExpr, variable: String, body: CELExpr, pos: Int)
}

/// A compile error as cel-go words it (`ERROR: <input>:1:5: undefined field 'x'` plus the caret lines).
struct CELCompileError: Error, Sendable {
    var message: String
    var pos: Int

    func rendered(_ source: String) -> String {
        let chars = Array(source)
        // cel-go counts columns per line, 1-based.
        var line = 1, col = 0, lineStart = 0
        for (i, ch) in chars.enumerated() where i < pos {
            if ch == "\n" { line += 1; col = 0; lineStart = i + 1 } else { col += 1 }
        }
        let lineText = String(chars[lineStart...].prefix { $0 != "\n" })
        return "ERROR: <input>:\(line):\(col + 1): \(message)\n | \(lineText)\n | \(String(repeating: ".", count: col))^"
    }
}

/// Recursive-descent parser for CEL's grammar (conditional, ||, &&, relations, +/-, * / %, unary, member).
struct CELParser {
    private enum Token: Equatable {
        case ident(String), int(Int64), uint(UInt64), double(Double), string(String)
        case op(String)
        case eof
    }

    private var tokens: [(Token, Int)] = []
    private var i = 0
    private let length: Int

    static let expected = "{'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}"

    static func parse(_ source: String) throws(CELCompileError) -> CELExpr {
        var p = try CELParser(source)
        let e = try p.conditional()
        guard case .eof = p.tokens[p.i].0 else {
            throw CELCompileError(message: "Syntax error: extraneous input \(p.describe(p.tokens[p.i].0)) expecting <EOF>", pos: p.tokens[p.i].1)
        }
        return e
    }

    private init(_ source: String) throws(CELCompileError) {
        let c = Array(source)
        length = c.count
        var k = 0
        func isIdentStart(_ ch: Character) -> Bool { ch == "_" || (ch.isASCII && ch.isLetter) }
        func isIdent(_ ch: Character) -> Bool { isIdentStart(ch) || (ch.isASCII && ch.isNumber) }
        while k < c.count {
            let ch = c[k]
            if ch.isWhitespace { k += 1; continue }
            let start = k
            if isIdentStart(ch) {
                while k < c.count, isIdent(c[k]) { k += 1 }
                tokens.append((.ident(String(c[start..<k])), start))
            } else if ch.isASCII && ch.isNumber {
                var isDouble = false
                if ch == "0", k + 1 < c.count, c[k + 1] == "x" || c[k + 1] == "X" {
                    k += 2
                    while k < c.count, c[k].isHexDigit { k += 1 }
                    let v = Int64(String(c[(start + 2)..<k]), radix: 16) ?? 0
                    tokens.append((.int(v), start))
                    continue
                }
                while k < c.count, c[k].isASCII && c[k].isNumber { k += 1 }
                if k + 1 < c.count, c[k] == ".", c[k + 1].isASCII && c[k + 1].isNumber {
                    isDouble = true
                    k += 1
                    while k < c.count, c[k].isASCII && c[k].isNumber { k += 1 }
                }
                if k < c.count, c[k] == "e" || c[k] == "E" {
                    isDouble = true
                    k += 1
                    if k < c.count, c[k] == "+" || c[k] == "-" { k += 1 }
                    while k < c.count, c[k].isASCII && c[k].isNumber { k += 1 }
                }
                let text = String(c[start..<k])
                if isDouble {
                    tokens.append((.double(Double(text) ?? 0), start))
                } else if k < c.count, c[k] == "u" || c[k] == "U" {
                    k += 1
                    tokens.append((.uint(UInt64(text) ?? 0), start))
                } else {
                    guard let v = Int64(text) else { throw CELCompileError(message: "invalid int literal", pos: start) }
                    tokens.append((.int(v), start))
                }
            } else if ch == "'" || ch == "\"" {
                // Raw strings (r'...') and triple quotes are outside the subset.
                k += 1
                var s = ""
                while true {
                    guard k < c.count, c[k] != "\n" else {
                        throw CELCompileError(message: "Syntax error: token recognition error at: '\(String(c[start..<k]))'", pos: start)
                    }
                    if c[k] == ch { k += 1; break }
                    if c[k] == "\\", k + 1 < c.count {
                        switch c[k + 1] {
                        case "n": s.append("\n")
                        case "t": s.append("\t")
                        case "r": s.append("\r")
                        case "\\": s.append("\\")
                        case "'": s.append("'")
                        case "\"": s.append("\"")
                        default:
                            throw CELCompileError(message: "Syntax error: the test server's CEL subset has no escape \\\(c[k + 1])", pos: k)
                        }
                        k += 2
                        continue
                    }
                    s.append(c[k])
                    k += 1
                }
                tokens.append((.string(s), start))
            } else {
                let two = k + 1 < c.count ? String(c[k...(k + 1)]) : ""
                if ["==", "!=", "<=", ">=", "&&", "||"].contains(two) {
                    tokens.append((.op(two), start))
                    k += 2
                } else if "<>!?:+-*/%.,()[]{}".contains(ch) {
                    tokens.append((.op(String(ch)), start))
                    k += 1
                } else {
                    throw CELCompileError(message: "Syntax error: token recognition error at: '\(ch)'", pos: start)
                }
            }
        }
        tokens.append((.eof, c.count))
    }

    private func describe(_ t: Token) -> String {
        switch t {
        case .eof: return "'<EOF>'"
        case .ident(let s): return "'\(s)'"
        case .op(let s): return "'\(s)'"
        case .int(let v): return "'\(v)'"
        case .uint(let v): return "'\(v)u'"
        case .double(let v): return "'\(v)'"
        case .string(let s): return "'\(s)'"
        }
    }

    private var peek: Token { tokens[i].0 }
    private var pos: Int { tokens[i].1 }

    private mutating func eat(_ op: String) -> Bool {
        if case .op(op) = peek { i += 1; return true }
        return false
    }

    private mutating func expect(_ op: String) throws(CELCompileError) {
        guard eat(op) else {
            throw CELCompileError(message: "Syntax error: missing '\(op)' at \(describe(peek))", pos: pos)
        }
    }

    private mutating func conditional() throws(CELCompileError) -> CELExpr {
        let cond = try or()
        guard eat("?") else { return cond }
        let a = try or()
        try expect(":")
        let b = try conditional()
        return .ternary(cond, a, b)
    }

    private mutating func or() throws(CELCompileError) -> CELExpr {
        var l = try and()
        while case .op("||") = peek {
            let p = pos
            i += 1
            l = .binary("||", l, try and(), pos: p)
        }
        return l
    }

    private mutating func and() throws(CELCompileError) -> CELExpr {
        var l = try relation()
        while case .op("&&") = peek {
            let p = pos
            i += 1
            l = .binary("&&", l, try relation(), pos: p)
        }
        return l
    }

    private mutating func relation() throws(CELCompileError) -> CELExpr {
        var l = try addition()
        while true {
            let p = pos
            switch peek {
            case .op(let o) where ["==", "!=", "<", "<=", ">", ">="].contains(o):
                i += 1
                l = .binary(o, l, try addition(), pos: p)
            case .ident("in"):
                i += 1
                l = .binary("in", l, try addition(), pos: p)
            default:
                return l
            }
        }
    }

    private mutating func addition() throws(CELCompileError) -> CELExpr {
        var l = try multiplication()
        while case .op(let o) = peek, o == "+" || o == "-" {
            let p = pos
            i += 1
            l = .binary(o, l, try multiplication(), pos: p)
        }
        return l
    }

    private mutating func multiplication() throws(CELCompileError) -> CELExpr {
        var l = try unary()
        while case .op(let o) = peek, o == "*" || o == "/" || o == "%" {
            let p = pos
            i += 1
            l = .binary(o, l, try unary(), pos: p)
        }
        return l
    }

    private mutating func unary() throws(CELCompileError) -> CELExpr {
        let p = pos
        if eat("!") { return .unary("!", try unary(), pos: p) }
        if eat("-") {
            // A negative literal stays a literal (cel-go folds it too).
            if case .int(let v) = peek { i += 1; return try member(.literal(.int(-v))) }
            if case .double(let v) = peek { i += 1; return try member(.literal(.double(-v))) }
            return .unary("-", try unary(), pos: p)
        }
        return try member(try primary())
    }

    private static let comprehensions: Set<String> = ["all", "exists", "exists_one", "filter", "map"]

    private mutating func member(_ base: CELExpr) throws(CELCompileError) -> CELExpr {
        var e = base
        while true {
            let p = pos
            if eat(".") {
                guard case .ident(let name) = peek else {
                    throw CELCompileError(message: "Syntax error: no viable alternative at input '.\(describe(peek).dropFirst().dropLast())'", pos: pos)
                }
                i += 1
                if case .op("(") = peek {
                    let callPos = pos
                    i += 1
                    let args = try arguments()
                    if Self.comprehensions.contains(name) {
                        guard args.count == 2, case .ident(let v, _) = args[0] else {
                            throw CELCompileError(message: "\(name)() needs a variable name and an expression", pos: callPos)
                        }
                        e = .comprehension(name, range: e, variable: v, body: args[1], pos: callPos)
                    } else {
                        e = .call(name, target: e, args: args, pos: callPos)
                    }
                } else {
                    e = .select(e, name, pos: p)
                }
            } else if eat("[") {
                let idx = try conditional()
                try expect("]")
                e = .index(e, idx, pos: p)
            } else {
                return e
            }
        }
    }

    private mutating func arguments() throws(CELCompileError) -> [CELExpr] {
        var args: [CELExpr] = []
        if eat(")") { return args }
        repeat { args.append(try conditional()) } while eat(",")
        try expect(")")
        return args
    }

    private mutating func primary() throws(CELCompileError) -> CELExpr {
        let p = pos
        switch peek {
        case .int(let v): i += 1; return .literal(.int(v))
        case .uint(let v): i += 1; return .literal(.uint(v))
        case .double(let v): i += 1; return .literal(.double(v))
        case .string(let s): i += 1; return .literal(.string(s))
        case .ident("true"): i += 1; return .literal(.bool(true))
        case .ident("false"): i += 1; return .literal(.bool(false))
        case .ident("null"): i += 1; return .literal(.null)
        case .ident(let name):
            i += 1
            guard case .op("(") = peek else { return .ident(name, pos: p) }
            let callPos = pos
            i += 1
            let args = try arguments()
            if name == "has" {
                guard args.count == 1, case .select(let target, let field, let sp) = args[0] else {
                    throw CELCompileError(message: "invalid argument to has() macro", pos: callPos)
                }
                return .has(target, field, pos: sp)
            }
            return .call(name, target: nil, args: args, pos: callPos)
        case .op("("):
            i += 1
            let e = try conditional()
            try expect(")")
            return e
        case .op("["):
            i += 1
            var items: [CELExpr] = []
            if !eat("]") {
                repeat {
                    if case .op("]") = peek { break }
                    items.append(try conditional())
                } while eat(",")
                try expect("]")
            }
            return .list(items)
        case .eof:
            throw CELCompileError(message: "Syntax error: mismatched input '<EOF>' expecting \(Self.expected)", pos: length)
        default:
            throw CELCompileError(message: "Syntax error: mismatched input \(describe(peek)) expecting \(Self.expected)", pos: p)
        }
    }
}
