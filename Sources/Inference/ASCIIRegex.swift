/// A backtracking matcher for the shapes rule regexes nearly always take (literals, classes of ASCII
/// characters, `\d \w \s`, `.`, quantifiers on one character, groups, named groups, an optional group,
/// alternation, `^` and `$`), run on printable ASCII text as bytes. NSRegularExpression costs a bridge to
/// NSString and a result object per call: most of the rules pass went there.
///
/// It answers exactly as ICU does: both are leftmost-first backtracking matchers, and the subset leaves out
/// everything whose meaning depends on ICU's details (Unicode properties, flags, lookaround, back references,
/// possessive quantifiers, repeated groups, set operations in classes). A pattern outside the subset gives
/// nil at `init`, text outside printable ASCII or a match that needs too many steps gives `.unknown`: the
/// caller then asks NSRegularExpression (`SharedRegex`).
struct ASCIIRegex: Sendable {
    /// The outcome of a search.
    enum Outcome {
        /// Matched: capture group k (from 1) spans bytes `captures[2k - 2]..<captures[2k - 1]`, -1 when it did
        /// not take part.
        case match(captures: [Int])
        case noMatch
        /// Not decided here (text not printable ASCII, or too many steps).
        case unknown
    }

    /// A set of ASCII bytes as a 128-bit mask.
    struct ByteSet: Sendable, Hashable {
        var low: UInt64 = 0
        var high: UInt64 = 0

        mutating func insert(_ b: UInt8) {
            if b < 64 { low |= 1 << UInt64(b) } else { high |= 1 << UInt64(b - 64) }
        }
        mutating func insert(_ range: ClosedRange<UInt8>) { for b in range { insert(b) } }
        mutating func formUnion(_ o: ByteSet) { low |= o.low; high |= o.high }
        /// The complement within printable ASCII (the only text matched here).
        var inverted: ByteSet {
            var all = ByteSet()
            all.insert(0x20...0x7E)
            return ByteSet(low: all.low & ~low, high: all.high & ~high)
        }
        @inline(__always) func contains(_ b: UInt8) -> Bool {
            b < 64 ? low & (1 << UInt64(b)) != 0 : b < 128 && high & (1 << UInt64(b - 64)) != 0
        }

        static let digits: ByteSet = { var s = ByteSet(); s.insert(0x30...0x39); return s }()
        /// ICU's `\w` on printable ASCII: letters, digits and `_` (the only connector punctuation there).
        static let word: ByteSet = {
            var s = digits; s.insert(0x41...0x5A); s.insert(0x61...0x7A); s.insert(UInt8(ascii: "_")); return s
        }()
        /// ICU's `\s` on printable ASCII: the space.
        static let space: ByteSet = { var s = ByteSet(); s.insert(0x20); return s }()
    }

    /// The program of a backtracking machine (as in RE2's and Pike's papers): `split` tries its first
    /// target, then its second, which gives leftmost-first (Perl, ICU) semantics.
    enum Op: Sendable {
        case byte(UInt8)
        case set(ByteSet)
        case split(Int, Int)
        case jump(Int)
        case save(Int)
        case textStart, textEnd
        case match
    }

    let ops: [Op]
    /// Capture slots: two per group.
    let slots: Int
    /// Named group -> its number (from 1; ICU numbers named and unnamed groups together).
    let groupNumbers: [String: Int]
    /// The pattern starts with `^`: only a match at 0 is tried.
    let anchored: Bool

    /// Steps (operations run) a search may take before it gives up and lets NSRegularExpression answer:
    /// bounds the cost of a pathological pattern without changing any result.
    static let stepBudget = 20_000

    /// Nil when the pattern is outside the subset.
    init?(_ pattern: String) {
        var parser = Parser(pattern: Array(pattern.utf8))
        guard pattern.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }), let tree = parser.parseAlternation(),
              parser.at == parser.pattern.count
        else { return nil }
        var ops: [Op] = []
        Self.emit(tree, into: &ops)
        ops.append(.match)
        self.ops = ops
        slots = parser.groups * 2
        groupNumbers = parser.names
        anchored = Self.startsAnchored(tree)
    }

    /// The first match in `text` (leftmost, then by the pattern's order of preference).
    func firstMatch(_ text: String) -> Outcome {
        var text = text
        return text.withUTF8 { bytes -> Outcome in
            for b in bytes where b < 0x20 || b >= 0x7F { return .unknown }
            var captures = [Int](repeating: -1, count: slots)
            var stack: [Frame] = []
            var steps = 0
            let lastStart = anchored ? 0 : bytes.count
            for start in 0...lastStart {
                switch run(bytes, from: start, captures: &captures, stack: &stack, steps: &steps) {
                case true?: return .match(captures: captures)
                case false?: continue
                case nil: return .unknown
                }
            }
            return .noMatch
        }
    }

    /// A choice to come back to, or a capture to restore when backtracking past the save that changed it.
    private enum Frame {
        case retry(pc: Int, at: Int)
        case restore(slot: Int, value: Int)
    }

    /// Runs the program from `start`: true on a match (captures set), false when none starts there, nil when
    /// the step budget ran out.
    private func run(_ text: UnsafeBufferPointer<UInt8>, from start: Int, captures: inout [Int], stack: inout [Frame],
                     steps: inout Int) -> Bool? {
        for i in captures.indices { captures[i] = -1 }
        stack.removeAll(keepingCapacity: true)
        var pc = 0, at = start
        while true {
            steps += 1
            if steps > Self.stepBudget { return nil }
            var ok = true
            switch ops[pc] {
            case .byte(let b):
                if at < text.count && text[at] == b { at += 1; pc += 1 } else { ok = false }
            case .set(let s):
                if at < text.count && s.contains(text[at]) { at += 1; pc += 1 } else { ok = false }
            case .split(let first, let second):
                stack.append(.retry(pc: second, at: at))
                pc = first
            case .jump(let to):
                pc = to
            case .save(let slot):
                stack.append(.restore(slot: slot, value: captures[slot]))
                captures[slot] = at
                pc += 1
            case .textStart:
                if at == 0 { pc += 1 } else { ok = false }
            case .textEnd:
                if at == text.count { pc += 1 } else { ok = false }
            case .match:
                return true
            }
            if ok { continue }
            // Backtrack to the latest choice, undoing the captures saved since.
            var resumed = false
            while let frame = stack.popLast() {
                switch frame {
                case .restore(let slot, let value): captures[slot] = value
                case .retry(let p, let a): pc = p; at = a; resumed = true
                }
                if resumed { break }
            }
            if !resumed { return false }
        }
    }

    // MARK: - Pattern to program

    indirect enum Node {
        case set(ByteSet)
        case byte(UInt8)
        case textStart, textEnd
        case sequence([Node])
        case alternation([Node])
        /// A group; `number` is nil for `(?:...)`.
        case group(Node, number: Int?)
        case repeated(Node, min: Int, max: Int?, greedy: Bool)
    }

    static func startsAnchored(_ node: Node) -> Bool {
        switch node {
        case .textStart: return true
        case .sequence(let nodes): return nodes.first.map(startsAnchored) ?? false
        case .group(let inner, _): return startsAnchored(inner)
        case .alternation(let nodes): return !nodes.isEmpty && nodes.allSatisfy(startsAnchored)
        default: return false
        }
    }

    static func emit(_ node: Node, into ops: inout [Op]) {
        switch node {
        case .set(let s): ops.append(.set(s))
        case .byte(let b): ops.append(.byte(b))
        case .textStart: ops.append(.textStart)
        case .textEnd: ops.append(.textEnd)
        case .sequence(let nodes): for n in nodes { emit(n, into: &ops) }
        case .alternation(let nodes):
            // split(a, next); a; jump end; next: split(b, ...); ...; last alternative.
            var jumps: [Int] = []
            for (i, n) in nodes.enumerated() {
                if i + 1 < nodes.count {
                    let split = ops.count
                    ops.append(.split(split + 1, -1))
                    emit(n, into: &ops)
                    jumps.append(ops.count)
                    ops.append(.jump(-1))
                    ops[split] = .split(split + 1, ops.count)
                } else {
                    emit(n, into: &ops)
                }
            }
            for j in jumps { ops[j] = .jump(ops.count) }
        case .group(let inner, let number):
            if let number { ops.append(.save(2 * number - 2)) }
            emit(inner, into: &ops)
            if let number { ops.append(.save(2 * number - 1)) }
        case .repeated(let inner, let min, let max, let greedy):
            for _ in 0..<min { emit(inner, into: &ops) }
            if let max {
                // Each optional copy: split(body, out); body. All outs lead past the last copy.
                var outs: [Int] = []
                for _ in min..<max {
                    outs.append(ops.count)
                    ops.append(.split(-1, -1))
                    emit(inner, into: &ops)
                }
                for o in outs { ops[o] = greedy ? .split(o + 1, ops.count) : .split(ops.count, o + 1) }
            } else {
                // loop: split(body, out); body; jump loop. The body always takes a character (see the parser).
                let loop = ops.count
                ops.append(.split(-1, -1))
                emit(inner, into: &ops)
                ops.append(.jump(loop))
                ops[loop] = greedy ? .split(loop + 1, ops.count) : .split(ops.count, loop + 1)
            }
        }
    }

    /// Recursive descent over the pattern's bytes; nil for anything outside the subset.
    struct Parser {
        let pattern: [UInt8]
        var at = 0
        var groups = 0
        var names: [String: Int] = [:]

        init(pattern: [UInt8]) { self.pattern = pattern }

        var next: UInt8? { at < pattern.count ? pattern[at] : nil }

        mutating func parseAlternation() -> Node? {
            var alternatives: [Node] = []
            while true {
                guard let s = parseSequence() else { return nil }
                alternatives.append(s)
                guard next == UInt8(ascii: "|") else { break }
                at += 1
            }
            return alternatives.count == 1 ? alternatives[0] : .alternation(alternatives)
        }

        mutating func parseSequence() -> Node? {
            var nodes: [Node] = []
            while let c = next, c != UInt8(ascii: "|"), c != UInt8(ascii: ")") {
                guard let atom = parseAtom() else { return nil }
                guard let quantified = parseQuantifier(atom) else { return nil }
                nodes.append(quantified)
            }
            return .sequence(nodes)
        }

        /// Literal characters outside classes: letters, digits and punctuation with no meaning in ICU's syntax.
        static let plain: ByteSet = {
            var s = ByteSet.word
            for c in "-/:@,=%~!&;'\"<> #".utf8 { s.insert(c) }
            return s
        }()

        mutating func parseAtom() -> Node? {
            guard let c = next else { return nil }
            at += 1
            switch c {
            case UInt8(ascii: "^"): return .textStart
            case UInt8(ascii: "$"): return .textEnd
            case UInt8(ascii: "."): return .set(ByteSet().inverted)  // any printable character
            case UInt8(ascii: "["): return parseClass()
            case UInt8(ascii: "\\"): return parseEscape(inClass: false).map { .set($0) }
            case UInt8(ascii: "("):
                var number: Int?
                if next == UInt8(ascii: "?") {
                    at += 1
                    if next == UInt8(ascii: ":") {
                        at += 1
                    } else if next == UInt8(ascii: "<") {
                        at += 1
                        let start = at
                        while let n = next, ByteSet.word.contains(n) { at += 1 }
                        guard at > start, next == UInt8(ascii: ">") else { return nil }  // `(?<=`, `(?<!`
                        let name = String(decoding: pattern[start..<at], as: UTF8.self)
                        at += 1
                        groups += 1
                        guard names[name] == nil else { return nil }
                        names[name] = groups
                        number = groups
                    } else {
                        return nil  // flags, lookahead, atomic groups, comments
                    }
                } else {
                    groups += 1
                    number = groups
                }
                guard let inner = parseAlternation(), next == UInt8(ascii: ")") else { return nil }
                at += 1
                return .group(inner, number: number)
            default:
                return Self.plain.contains(c) ? .byte(c) : nil
            }
        }

        /// `\d \D \w \W \s \S`, or an escaped punctuation character (ICU reads `\` before a non-letter,
        /// non-digit as that character). Letters with other meanings and back references are outside the subset.
        mutating func parseEscape(inClass: Bool) -> ByteSet? {
            guard let c = next else { return nil }
            at += 1
            switch c {
            case UInt8(ascii: "d"): return .digits
            case UInt8(ascii: "D"): return ByteSet.digits.inverted
            case UInt8(ascii: "w"): return .word
            case UInt8(ascii: "W"): return ByteSet.word.inverted
            case UInt8(ascii: "s"): return .space
            case UInt8(ascii: "S"): return ByteSet.space.inverted
            default:
                guard !ByteSet.word.contains(c), c != 0x20 else { return nil }
                var s = ByteSet()
                s.insert(c)
                return s
            }
        }

        /// `[...]` and `[^...]` of single characters, ranges of letters or digits, and the escapes above. A `-`
        /// is taken only first or last; set operations, nested classes and POSIX names are outside the subset.
        mutating func parseClass() -> Node? {
            var negated = false
            if next == UInt8(ascii: "^") { negated = true; at += 1 }
            var set = ByteSet()
            var first = true
            while true {
                guard let c = next else { return nil }
                if c == UInt8(ascii: "]") && !first { at += 1; break }
                first = false
                if c == UInt8(ascii: "\\") {
                    at += 1
                    guard let s = parseEscape(inClass: true) else { return nil }
                    set.formUnion(s)
                    if next == UInt8(ascii: "-"), at + 1 < pattern.count, pattern[at + 1] != UInt8(ascii: "]") { return nil }
                    continue
                }
                if c == UInt8(ascii: "-") {
                    // Literal only right after `[` (handled as `first` above would be) or right before `]`.
                    let atEdge = at + 1 < pattern.count && pattern[at + 1] == UInt8(ascii: "]")
                    let atOpening = pattern[at - 1] == UInt8(ascii: "[") || (pattern[at - 1] == UInt8(ascii: "^") && negated && pattern[at - 2] == UInt8(ascii: "["))
                    guard atEdge || atOpening else { return nil }
                    set.insert(c)
                    at += 1
                    continue
                }
                // Not `:` or `=`: `[:alpha:]` and `[=a=]` mean other things to ICU.
                guard ByteSet.word.contains(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "/")
                        || c == UInt8(ascii: "@") || c == UInt8(ascii: ",")
                else { return nil }
                at += 1
                if next == UInt8(ascii: "-"), at + 1 < pattern.count, pattern[at + 1] != UInt8(ascii: "]") {
                    // A range: both ends letters of one case or digits.
                    let hi = pattern[at + 1]
                    let sameKind = (isDigit(c) && isDigit(hi)) || (isLower(c) && isLower(hi)) || (isUpper(c) && isUpper(hi))
                    guard sameKind, c <= hi else { return nil }
                    set.insert(c...hi)
                    at += 2
                } else {
                    set.insert(c)
                }
            }
            return .set(negated ? set.inverted : set)
        }

        /// `* + ? {n} {n,} {n,m}`, each optionally lazy (`?`). On one character any of them; on a group only
        /// `?` (a repeated group's captures and empty iterations are where matchers differ). Possessive
        /// quantifiers are outside the subset.
        mutating func parseQuantifier(_ atom: Node) -> Node? {
            guard let c = next else { return atom }
            var min = 0, max: Int?
            switch c {
            case UInt8(ascii: "*"): at += 1; min = 0; max = nil
            case UInt8(ascii: "+"): at += 1; min = 1; max = nil
            case UInt8(ascii: "?"): at += 1; min = 0; max = 1
            case UInt8(ascii: "{"):
                at += 1
                guard let lo = number() else { return nil }
                min = lo
                if next == UInt8(ascii: ",") {
                    at += 1
                    if next == UInt8(ascii: "}") { max = nil } else {
                        guard let hi = number(), hi >= lo else { return nil }
                        max = hi
                    }
                } else {
                    max = lo
                }
                guard next == UInt8(ascii: "}"), min <= 100, (max ?? 0) <= 100 else { return nil }
                at += 1
            default:
                return atom
            }
            var greedy = true
            if next == UInt8(ascii: "?") { greedy = false; at += 1 }
            if let n = next, n == UInt8(ascii: "+") || n == UInt8(ascii: "*") || n == UInt8(ascii: "?") || n == UInt8(ascii: "{") {
                return nil  // possessive, or a quantifier of a quantifier
            }
            switch atom {
            case .set, .byte: return .repeated(atom, min: min, max: max, greedy: greedy)
            case .group where min == 0 && max == 1 && greedy: return .repeated(atom, min: 0, max: 1, greedy: true)
            default: return nil
            }
        }

        mutating func number() -> Int? {
            let start = at
            while let n = next, isDigit(n), at - start < 3 { at += 1 }
            guard at > start, let n = next, !isDigit(n) else { return nil }
            return Int(String(decoding: pattern[start..<at], as: UTF8.self))
        }

        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        func isLower(_ b: UInt8) -> Bool { b >= 0x61 && b <= 0x7A }
        func isUpper(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x5A }
    }
}
