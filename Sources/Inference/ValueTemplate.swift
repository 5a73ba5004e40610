import TaggingAPI

/// A rule's tag value: literal text with `${...}` references, parsed once.
struct ValueTemplate: Sendable {
    enum Part: Sendable, Hashable {
        case literal(String)
        case group(String)
        case tag(String)
        case account, region, type, provider, name
    }

    let parts: [Part]
    let source: String
    /// How a value came about, for reasons: `fixed value`, or the template as written (`${name.team}-svc`).
    /// The same for every resource, so reasons naming it are built once per rule.
    let origin: String

    init(_ text: String, groups: [String], hasRegex: Bool) throws(InferenceError) {
        source = text
        var parts: [Part] = []
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            if open.lowerBound > rest.startIndex { parts.append(.literal(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                throw InferenceError(rule: "", message: "\"${\" without a closing \"}\" in \"\(text)\"")
            }
            let ref = String(rest[open.upperBound..<close])
            switch ref {
            case "account": parts.append(.account)
            case "region": parts.append(.region)
            case "type": parts.append(.type)
            case "provider": parts.append(.provider)
            case "name": parts.append(.name)
            default:
                if ref.hasPrefix("name.") {
                    let g = String(ref.dropFirst(5))
                    guard hasRegex else {
                        throw InferenceError(rule: "", message: "${\(ref)} needs match.name.regex with a group named \"\(g)\"")
                    }
                    guard groups.contains(g) else {
                        let known = groups.isEmpty ? "it has no named groups" : "its groups are " + groups.joined(separator: ", ")
                        throw InferenceError(rule: "", message: "${\(ref)}: match.name.regex has no group \"\(g)\" (\(known))")
                    }
                    parts.append(.group(g))
                } else if ref.hasPrefix("tag."), ref.count > 4 {
                    parts.append(.tag(String(ref.dropFirst(4))))
                } else {
                    throw InferenceError(
                        rule: "",
                        message: "unknown reference ${\(ref)}; use ${name.GROUP}, ${tag.KEY}, ${account}, ${region}, ${type}, ${provider} or ${name}")
                }
            }
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { parts.append(.literal(String(rest))) }
        guard !parts.isEmpty else { throw InferenceError(rule: "", message: "value is empty") }
        self.parts = parts
        if parts.count == 1, case .literal = parts[0] { origin = "fixed value" } else { origin = text }
    }

    /// The value for a resource, or nil when a reference has no value on it (the rule then does not set
    /// this tag).
    func render(spec: CloudResourceSpec, groups: NameGroups, tags: [String: String], rawNative: [String: String]?) -> String? {
        if parts.count == 1, case .literal(let s) = parts[0] { return s }
        var out = ""
        for part in parts {
            let piece: String?
            switch part {
            case .literal(let s): piece = s
            case .group(let g): piece = groups.value(g)
            case .tag(let k): piece = tags[k] ?? rawNative?[k]
            case .account: piece = spec.account
            case .region: piece = spec.region
            case .type: piece = spec.type
            case .provider: piece = spec.provider
            case .name: piece = spec.name
            }
            guard let piece, !piece.isEmpty else { return nil }
            out += piece
        }
        return out
    }
}
