import Foundation
import TaggingAPI
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// NSRegularExpression is immutable and documented thread-safe once built. A class, so rules share it
/// without retaining its parts on every use.
final class SharedRegex: @unchecked Sendable {
    let regex: NSRegularExpression
    let pattern: String
    /// Text every match must contain, so most non-matching names are rejected without running the regex.
    let requiredLiteral: [UInt8]?
    /// The pattern starts with `^` and the literal, so a match starts with the literal.
    let literalIsPrefix: Bool
    /// The same pattern as a byte matcher, when it is of a shape that one answers exactly as ICU does.
    let ascii: ASCIIRegex?

    init(_ pattern: String) throws(InferenceError) {
        do {
            regex = try NSRegularExpression(pattern: pattern)
        } catch {
            throw InferenceError(rule: "", message: "regex \"\(pattern)\" does not compile: \(error.localizedDescription)")
        }
        self.pattern = pattern
        let literal = Self.requiredLiteral(pattern)
        requiredLiteral = literal.map { Array($0.utf8) }
        // `^literal...`: the text must start with it, a cheaper test than a search.
        literalIsPrefix = literal.map { pattern.hasPrefix("^" + $0) } ?? false
        ascii = ASCIIRegex(pattern)
    }

    func firstMatch(_ s: String) -> RegexMatch? {
        if let literal = requiredLiteral {
            if literalIsPrefix ? !s.utf8.starts(with: literal) : !Self.contains(s, literal) { return nil }
        }
        if let ascii {
            switch ascii.firstMatch(s) {
            case .match(let captures): return .bytes(captures: captures, groups: ascii.groupNumbers)
            case .noMatch: return nil
            case .unknown: break
            }
        }
        return regex.firstMatch(in: s, range: NSRange(location: 0, length: s.utf16.count)).map(RegexMatch.foundation)
    }

    static func contains(_ s: String, _ needle: [UInt8]) -> Bool {
        let found = s.utf8.withContiguousStorageIfAvailable { hay in
            needle.withUnsafeBufferPointer { contains(hay, $0) }
        }
        return found ?? s.contains(String(decoding: needle, as: UTF8.self))
    }

    static func contains(_ hay: UnsafeBufferPointer<UInt8>, _ needle: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let n = needle.baseAddress, needle.count > 0 else { return true }
        guard let h = hay.baseAddress, hay.count >= needle.count else { return false }
        // memchr to each candidate start, memcmp for the rest: both vectorised by the C library.
        let first = Int32(n[0])
        var start = h
        let end = h + (hay.count - needle.count + 1)
        while start < end, let hit = memchr(start, first, end - start) {
            let p = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self))
            if memcmp(p, n, needle.count) == 0 { return true }
            start = p + 1
        }
        return false
    }

    /// The longest run of plain ASCII text outside groups, classes and optional parts: text any match must
    /// contain. Nil when there is no such run or when it cannot be told safely (top-level alternation,
    /// inline flags such as case-insensitivity).
    static func requiredLiteral(_ pattern: String) -> String? {
        if pattern.contains("(?i") || pattern.contains("(?x") || pattern.contains("(?-") || pattern.contains("(?m") || pattern.contains("(?s") {
            return nil
        }
        let c = Array(pattern.unicodeScalars)
        var runs: [String] = []
        var run = String.UnicodeScalarView()
        var depth = 0
        var i = 0
        func end() { if run.count >= 2 { runs.append(String(run)) }; run = String.UnicodeScalarView() }
        func plain(_ u: Unicode.Scalar) -> Bool {
            u.isASCII && (u.properties.isAlphabetic || ("0"..."9").contains(u) || "-_/:@=,% ~!#&;'\"<>".unicodeScalars.contains(u))
        }
        while i < c.count {
            let u = c[i]
            switch u {
            case "\\":
                guard i + 1 < c.count else { return nil }
                let next = c[i + 1]
                if depth == 0, next.isASCII, !next.properties.isAlphabetic, !("0"..."9").contains(next) {
                    if i + 2 < c.count, "?*{".unicodeScalars.contains(c[i + 2]) { end() } else { run.append(next) }
                } else {
                    end()
                }
                i += 2
                continue
            case "[":
                end()
                i += 1
                if i < c.count, c[i] == "^" { i += 1 }
                if i < c.count, c[i] == "]" { i += 1 }
                while i < c.count, c[i] != "]" { i += c[i] == "\\" ? 2 : 1 }
            case "(": end(); depth += 1
            case ")": end(); depth -= 1
            case "|": if depth == 0 { return nil }; end()
            case "?", "*", "{":
                if !run.isEmpty { run.removeLast() }
                end()
            case "+": end()
            default:
                if depth == 0, plain(u) {
                    if i + 1 < c.count, "?*{".unicodeScalars.contains(c[i + 1]) { end() } else { run.append(u) }
                } else {
                    end()
                }
            }
            i += 1
        }
        end()
        return runs.max { $0.count < $1.count }
    }

    func matches(_ s: String) -> Bool { firstMatch(s) != nil }

    /// Named groups `(?<name>...)` in the pattern (NSRegularExpression cannot list them).
    static func groupNames(_ pattern: String) -> [String] {
        var names: [String] = []
        let scalars = Array(pattern.unicodeScalars)
        var i = 0
        while i + 3 < scalars.count {
            if scalars[i] == "\\" { i += 2; continue }
            if scalars[i] == "(", scalars[i + 1] == "?", scalars[i + 2] == "<", scalars[i + 3] != "=", scalars[i + 3] != "!" {
                var j = i + 3
                var name = String.UnicodeScalarView()
                while j < scalars.count, scalars[j] != ">" { name.append(scalars[j]); j += 1 }
                names.append(String(name))
                i = j
            }
            i += 1
        }
        return names
    }
}

/// A TaggingRule ready to run. A class: it is shared, never copied, by every evaluation.
public final class CompiledRule: Sendable {
    public let name: String
    public let priority: Int
    public let mode: RuleMode
    public let confidence: Double
    public let override: Bool
    let providers: Set<String>?
    let types: [String]?
    let exactTypes: Set<String>
    let typePrefixes: [String]
    let accounts: Set<String>?
    let regions: Set<String>?
    let nameRegex: SharedRegex?
    let groupNames: [String]
    let matchers: [CompiledMatcher]
    let tags: [CompiledTag]

    init(name: String, spec: TaggingRuleSpec, tables: NormalisationTables) throws(InferenceError) {
        self.name = name
        priority = spec.effectivePriority
        mode = spec.effectiveMode
        confidence = spec.effectiveConfidence
        override = spec.effectiveOverride
        guard confidence >= 0, confidence <= 1 else {
            throw InferenceError(rule: name, message: "confidence \(confidence) is outside [0, 1]")
        }
        guard !spec.tags.isEmpty else { throw InferenceError(rule: name, message: "spec.tags is empty: the rule sets nothing") }
        let m = spec.match
        func nonEmpty(_ list: [String]?, _ field: String) throws(InferenceError) -> [String]? {
            guard let list else { return nil }
            if list.isEmpty { throw InferenceError(rule: name, message: "match.\(field) is empty: it would match nothing; omit it to match all") }
            return list
        }
        providers = try nonEmpty(m?.providers, "providers").map(Set.init)
        types = try nonEmpty(m?.types, "types")
        exactTypes = Set((types ?? []).filter { !$0.hasSuffix("*") })
        typePrefixes = (types ?? []).filter { $0.hasSuffix("*") }.map { String($0.dropLast()) }
        accounts = try nonEmpty(m?.accounts, "accounts").map(Set.init)
        regions = try nonEmpty(m?.regions, "regions").map(Set.init)
        if let pattern = m?.name?.regex {
            do { nameRegex = try SharedRegex(pattern) } catch { throw InferenceError(rule: name, message: "match.name." + error.message) }
            groupNames = SharedRegex.groupNames(pattern)
        } else {
            nameRegex = nil
            groupNames = []
        }
        var matchers: [CompiledMatcher] = []
        for (i, t) in (m?.tags ?? []).enumerated() {
            do { matchers.append(try CompiledMatcher(t, tables: tables)) } catch {
                throw InferenceError(rule: name, message: "match.tags[\(i)]: \(error.message)")
            }
        }
        self.matchers = matchers
        var tags: [CompiledTag] = []
        var seen = Set<String>()
        for (i, t) in spec.tags.enumerated() {
            let key = t.key.trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else { throw InferenceError(rule: name, message: "tags[\(i)].key is empty") }
            guard seen.insert(key).inserted else { throw InferenceError(rule: name, message: "tags[\(i)]: key \"\(key)\" is set twice") }
            do {
                let template = try ValueTemplate(t.value, groups: groupNames, hasRegex: nameRegex != nil)
                tags.append(CompiledTag(
                    key: key, template: template,
                    setReason: Text.join(
                        "rule ", name, " (priority ", String(priority), ", ", mode.rawValue, ") set it from ", template.origin),
                    auditReason: Text.join("audit rule ", name, " (priority ", String(priority), ") would set it from ", template.origin)))
            } catch {
                throw InferenceError(rule: name, message: "tags[\(i)] (\(key)): \(error.message)")
            }
        }
        self.tags = tags
    }

    /// Whether the provider, type and account constraints admit a resource.
    func admits(provider: String, type: String, account: String?) -> Bool {
        if let providers, !providers.contains(provider) { return false }
        if types != nil, !exactTypes.contains(type), !typePrefixes.contains(where: { type.hasPrefix($0) }) { return false }
        if let accounts, !accounts.contains(account ?? "") { return false }
        return true
    }

    /// What the name regex captured when the rule matches a resource (nothing when it has no regex), or nil.
    /// Only for resources `admits` accepts (the rule set's candidates); the caller reads the resource's name and
    /// region once for all its rules.
    func match(name: String?, region: String?, tags: [String: String], rawNative: [String: String]?) -> NameGroups? {
        if let regions, !regions.contains(region ?? "") { return nil }
        for m in matchers where !m.holds(tags: tags, rawNative: rawNative) { return nil }
        guard let nameRegex else { return NameGroups(name: "", result: nil) }
        guard let name, let result = nameRegex.firstMatch(name) else { return nil }
        return NameGroups(name: name, result: result)
    }
}

/// One tag a rule sets, with the reasons naming it built once (they are the same for every resource).
/// A class, so reading it in the rule loop retains one object rather than each of its strings.
final class CompiledTag: Sendable {
    let key: String
    let template: ValueTemplate
    /// `rule NAME (priority P, MODE) set it from ORIGIN`: the start of the reason when the rule's value wins.
    let setReason: String
    /// `audit rule NAME (priority P) would set it from ORIGIN`.
    let auditReason: String

    init(key: String, template: ValueTemplate, setReason: String, auditReason: String) {
        self.key = key
        self.template = template
        self.setReason = setReason
        self.auditReason = auditReason
    }
}

/// A regex match, from whichever matcher answered (see `SharedRegex.firstMatch`).
enum RegexMatch {
    /// From `ASCIIRegex`: byte offsets of each group (the text is ASCII), and the groups' numbers by name.
    case bytes(captures: [Int], groups: [String: Int])
    case foundation(NSTextCheckingResult)
}

/// The named groups of a name regex match, read only when a template uses one (most matched rules use
/// one or two groups, or none).
struct NameGroups {
    let name: String
    let result: RegexMatch?

    /// The group's text, nil when the group did not take part in the match.
    func value(_ group: String) -> String? {
        switch result {
        case nil:
            return nil
        case .bytes(let captures, let groups)?:
            guard let k = groups[group], captures[2 * k - 2] >= 0 else { return nil }
            let u = name.utf8
            let from = u.index(u.startIndex, offsetBy: captures[2 * k - 2])
            return String(name[from..<u.index(from, offsetBy: captures[2 * k - 1] - captures[2 * k - 2])])
        case .foundation(let result)?:
            let r = result.range(withName: group)
            guard r.location != NSNotFound, let range = Range(r, in: name) else { return nil }
            return String(name[range])
        }
    }
}

/// One `match.tags` entry. A class, so evaluating a rule does not copy (and retain) its parts.
final class CompiledMatcher: Sendable {
    let key: String
    let canonicalKey: String
    let op: MatchOperator
    /// Folded canonical values for In / NotIn.
    let values: Set<String>
    let regexes: [SharedRegex]

    init(_ t: TagMatcher, tables: NormalisationTables) throws(InferenceError) {
        let key = t.key.trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty else { throw InferenceError(rule: "", message: "key is empty") }
        self.key = key
        op = t.operator
        let values = t.values ?? []
        switch op {
        case .in, .notIn, .matches:
            guard !values.isEmpty else { throw InferenceError(rule: "", message: "operator \(op.rawValue) needs values") }
        case .exists, .doesNotExist:
            guard values.isEmpty else { throw InferenceError(rule: "", message: "operator \(op.rawValue) takes no values") }
        }
        let canonicalKey = tables.canonicalKey(key)
        self.canonicalKey = canonicalKey
        self.values = Set(values.map { Fold.fold(tables.valueSynonyms[canonicalKey]?[Fold.fold($0)] ?? $0) })
        if op == .matches {
            var regexes: [SharedRegex] = []
            for v in values { regexes.append(try SharedRegex(v)) }
            self.regexes = regexes
        } else {
            regexes = []
        }
    }

    /// The tag's value: under its own name among normalised/inferred tags, then as written natively.
    func value(tags: [String: String], rawNative: [String: String]?) -> String? {
        tags[canonicalKey] ?? tags[key] ?? rawNative?[key]
    }

    func holds(tags: [String: String], rawNative: [String: String]?) -> Bool {
        let v = value(tags: tags, rawNative: rawNative)
        switch op {
        case .exists: return v != nil
        case .doesNotExist: return v == nil
        case .in: return v.map { values.contains(Fold.fold($0)) } ?? false
        case .notIn: return v.map { !values.contains(Fold.fold($0)) } ?? true
        case .matches: return v.map { s in regexes.contains { $0.matches(s) } } ?? false
        }
    }
}
