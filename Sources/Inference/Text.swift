/// Reasons are built for every tag of every resource: joined in one allocation of the exact size rather
/// than by interpolation, which grows its buffer as it goes.
enum Text {
    static func join(
        _ a: String, _ b: String, _ c: String = "", _ d: String = "", _ e: String = "", _ f: String = "",
        _ g: String = "", _ h: String = "", _ i: String = "", _ j: String = ""
    ) -> String {
        var out = String()
        out.reserveCapacity(
            a.utf8.count + b.utf8.count + c.utf8.count + d.utf8.count + e.utf8.count + f.utf8.count + g.utf8.count
                + h.utf8.count + i.utf8.count + j.utf8.count)
        out += a; out += b; out += c; out += d; out += e; out += f; out += g; out += h; out += i; out += j
        return out
    }
}
