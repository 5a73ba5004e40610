/// Deterministic, DNS-safe CloudResource names derived from (provider, id), so that discovery is
/// idempotent: the same cloud resource always maps to the same object.
///
/// Shape: `<provider>-<readable tail of the id>-<10 hex of FNV-1a 64 of "provider/id">`, at most 63
/// characters (so the name also fits a label value). The hash keeps ids that differ only in case or
/// punctuation apart.
public enum ResourceNaming {
    public static let maxLength = 63

    public static func name(provider: String, id: String) -> String {
        let hash = hex10(fnv1a64("\(provider)/\(id)"))
        // The tail after the last '/' or ':' is what people recognise (i-0abc..., vol-..., a bucket name).
        let tail = id.split(whereSeparator: { $0 == "/" || $0 == ":" }).last.map(String.init) ?? id
        // The provider prefix is short in practice (aws, gcp, azure); bound it anyway, and never leave it empty:
        // a name must start with an alphanumeric.
        var prefix = String(sanitize(provider).prefix(20))
        while prefix.hasSuffix("-") { prefix.removeLast() }
        if prefix.isEmpty { prefix = "res" }
        var readable = sanitize(tail)
        let budget = maxLength - prefix.count - hash.count - 2
        if readable.count > budget { readable = String(readable.prefix(max(0, budget))) }
        while readable.hasSuffix("-") { readable.removeLast() }
        return readable.isEmpty ? "\(prefix)-\(hash)" : "\(prefix)-\(readable)-\(hash)"
    }

    /// Lower-case alphanumerics and single dashes, no leading or trailing dash.
    public static func sanitize(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        var lastDash = true
        for u in s.utf8 {
            switch u {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                out.unicodeScalars.append(Unicode.Scalar(u))
                lastDash = false
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                out.unicodeScalars.append(Unicode.Scalar(u + 32))
                lastDash = false
            default:
                if !lastDash { out.append("-"); lastDash = true }
            }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out
    }

    /// A valid label value (<= 63 chars of [A-Za-z0-9._-], alphanumeric at both ends), e.g. for
    /// `ec2:instance` -> `ec2.instance`.
    public static func labelValue(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars.prefix(63) {
            if ch.isASCII, ch.properties.isAlphabetic || ("0"..."9").contains(ch) || ch == "-" || ch == "_" || ch == "." {
                out.unicodeScalars.append(ch)
            } else {
                out.append(".")
            }
        }
        while let f = out.unicodeScalars.first, !(f.properties.isAlphabetic || ("0"..."9").contains(f)) { out.removeFirst() }
        while let l = out.unicodeScalars.last, !(l.properties.isAlphabetic || ("0"..."9").contains(l)) { out.removeLast() }
        return out
    }

    public static func fnv1a64(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return h
    }

    static func hex10(_ v: UInt64) -> String {
        let digits = Array("0123456789abcdef")
        var out = ""
        for shift in stride(from: 36, through: 0, by: -4) { out.append(digits[Int((v >> UInt64(shift)) & 0xf)]) }
        return out
    }
}

extension CloudResource {
    /// The labels that mirror spec fields, for `kubectl get cres -l vtag.dev/region=eu-west-1`.
    public static func mirrorLabels(for spec: CloudResourceSpec) -> [String: String] {
        var labels = [
            VTag.Label.provider: ResourceNaming.labelValue(spec.provider),
            VTag.Label.type: ResourceNaming.labelValue(spec.type),
        ]
        if let a = spec.account, !a.isEmpty { labels[VTag.Label.account] = ResourceNaming.labelValue(a) }
        if let r = spec.region, !r.isEmpty { labels[VTag.Label.region] = ResourceNaming.labelValue(r) }
        return labels
    }
}
