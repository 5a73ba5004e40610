/// The naming conventions that coexist in one estate: each team has its habit, and hand-made or
/// legacy resources deviate from it.
enum NamingStyle: CaseIterable, Sendable {
    /// `payments-ledger-prod-03`
    case kebab
    /// `prd_ledger_api_03`
    case snake
    /// `ledgerApiProd03`
    case camel
    /// `LEDGER-PRD-API03`
    case upper
    /// `srv-7f3a9c2d`: says nothing about who owns it.
    case opaque

    /// The parts a name may be built of; a style uses the ones its convention has.
    struct Parts {
        var team: String
        var app: String
        var env: String
        var role: String
        var number: Int?
    }

    /// A name for a machine-like resource (instance, database, function, load balancer).
    func name(_ p: Parts, rng: inout SeededRandom) -> String {
        let nn = p.number.map { $0 < 10 ? "0\($0)" : "\($0)" }
        switch self {
        case .kebab:
            return [p.team, p.app, p.env, p.role, nn].compactMap { $0 }.joined(separator: "-")
        case .snake:
            return [p.env, p.app.replacingDashes(with: "_"), p.role, nn].compactMap { $0 }.joined(separator: "_")
        case .camel:
            let words = p.app.split(separator: "-").map(String.init) + [p.role, p.env]
            return words.enumerated().map { $0.offset == 0 ? $0.element : $0.element.capitalizedFirst }.joined() + (nn ?? "")
        case .upper:
            return "\(p.app.uppercased())-\(p.env.uppercased())-\(p.role.uppercased())\(nn ?? "")"
        case .opaque:
            return "\(rng.pick(["srv", "res", "x", "node", "tmp"]))-\(rng.alnum(8))"
        }
    }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }

    func replacingDashes(with separator: Character) -> String {
        String(map { $0 == "-" ? separator : $0 })
    }

    /// Keeps only the characters a cloud allows in a name, mapping others to `-` or dropping them.
    func restricted(lowercase: Bool, allowed: (Character) -> Bool, replacement: Character?, maxLength: Int) -> String {
        var out = ""
        for c in lowercase ? self.lowercased() : self {
            if allowed(c) { out.append(c) } else if let r = replacement, out.last != r { out.append(r) }
        }
        while let f = out.first, !(f.isLetter || f.isNumber) { out.removeFirst() }
        if out.count > maxLength { out = String(out.prefix(maxLength)) }
        while let l = out.last, !(l.isLetter || l.isNumber) { out.removeLast() }
        return out
    }

    /// Lower-case letters, digits and dashes (RDS identifiers, GCP resource names, S3 buckets).
    func dnsLabel(maxLength: Int = 63) -> String {
        restricted(
            lowercase: true, allowed: { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" }, replacement: "-",
            maxLength: maxLength)
    }
}
