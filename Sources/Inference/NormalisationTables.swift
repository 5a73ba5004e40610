/// Key synonyms and value canonicalisation, as data so the operator config can override them.
/// Lookups use the folded form of a key or value (lower case, letters and digits only), so
/// `Cost_Center`, `cost-center` and `CostCenter` are one entry.
public struct NormalisationTables: Codable, Sendable, Hashable {
    /// Folded native key -> canonical key, e.g. `environment` -> `env`.
    public var keySynonyms: [String: String]
    /// Canonical key -> (folded value -> canonical value), e.g. `env`: `prd` -> `production`.
    public var valueSynonyms: [String: [String: String]]

    public init(keySynonyms: [String: String], valueSynonyms: [String: [String: String]]) {
        self.keySynonyms = keySynonyms
        self.valueSynonyms = valueSynonyms
    }

    /// The canonical key of a native key: its synonym, or the key itself when none is known.
    public func canonicalKey(_ key: String) -> String {
        keySynonyms[Fold.fold(key)] ?? key
    }

    /// Every canonical key the tables know (targets of key synonyms and keys of value tables).
    public var canonicalKeys: Set<String> {
        Set(keySynonyms.values).union(valueSynonyms.keys)
    }

    /// These tables with `other`'s entries added, `other` winning where both define an entry.
    public func merging(_ other: NormalisationTables) -> NormalisationTables {
        var merged = self
        for (k, v) in other.keySynonyms { merged.keySynonyms[Fold.fold(k)] = v }
        for (key, table) in other.valueSynonyms {
            for (v, canonical) in table { merged.valueSynonyms[key, default: [:]][Fold.fold(v)] = canonical }
        }
        return merged
    }

    public static let `default` = NormalisationTables(
        keySynonyms: [
            "env": "env", "environment": "env", "stage": "env", "environ": "env", "envname": "env",
            "environmentname": "env",
            "team": "team", "ownerteam": "team", "squad": "team", "teamname": "team", "owningteam": "team",
            "owner": "owner", "contact": "owner", "owneremail": "owner", "ownedby": "owner", "technicalowner": "owner",
            "techowner": "owner", "maintainer": "owner", "contactemail": "owner",
            "costcenter": "cost-center", "costcentre": "cost-center", "cc": "cost-center", "billingcode": "cost-center",
            "chargecode": "cost-center", "costcode": "cost-center", "billing": "cost-center",
            "application": "application", "app": "application", "service": "application", "appname": "application",
            "applicationname": "application", "servicename": "application", "workload": "application",
        ],
        valueSynonyms: [
            "env": [
                "prod": "production", "prd": "production", "production": "production", "live": "production",
                "prodn": "production",
                "stg": "staging", "stage": "staging", "staging": "staging", "stag": "staging", "preprod": "staging",
                "preproduction": "staging",
                "dev": "development", "develop": "development", "development": "development", "devel": "development",
                "qa": "test", "test": "test", "testing": "test", "tst": "test", "uat": "test",
                "sandbox": "sandbox", "sbx": "sandbox",
            ]
        ]
    )
}

/// Folding used for every comparison that should ignore case and punctuation.
public enum Fold {
    /// Lower-case ASCII letters and digits only; other letters are kept lower-cased.
    public static func fold(_ s: String) -> String {
        // ASCII fast path: one scan; most values are already folded and are returned as they are, the
        // others are written once (names up to 15 bytes stay small strings, with no allocation).
        switch asciiState(s) {
        case .folded: return s
        case .needsFolding:
            let n = s.utf8.count
            return String(unsafeUninitializedCapacity: n) { buffer in
                var count = 0
                for b in s.utf8 {
                    if b >= 65 && b <= 90 { buffer[count] = b + 32; count += 1 }
                    else if (b >= 97 && b <= 122) || (b >= 48 && b <= 57) { buffer[count] = b; count += 1 }
                }
                return count
            }
        case .unicode: break
        }
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            if u.isASCII {
                let v = u.value
                if v >= 65 && v <= 90 { out.append(Unicode.Scalar(v + 32)!) }
                else if (v >= 97 && v <= 122) || (v >= 48 && v <= 57) { out.append(u) }
            } else if u.properties.isAlphabetic || u.properties.numericType != nil {
                out.append(contentsOf: u.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return String(out)
    }

    private enum ASCIIState { case folded, needsFolding, unicode }

    @inline(__always)
    private static func asciiState(_ s: String) -> ASCIIState {
        var state = ASCIIState.folded
        for b in s.utf8 {
            if b >= 0x80 { return .unicode }
            if !((b >= 97 && b <= 122) || (b >= 48 && b <= 57)) { state = .needsFolding }
        }
        return state
    }
}
