/// Finds the resource a FOCUS row's ResourceId names. FOCUS keeps the provider's own id and casing,
/// unique only within a provider, so the join is per provider, exact, with two provider rules:
/// Azure resource ids are case-insensitive (Cost Management exports them in lower case, inventories in
/// mixed case), and AWS bills EC2 instances, volumes and S3 buckets by their bare id (`i-...`,
/// `vol-...`, the bucket name) where an inventory holds the ARN.
struct ResourceIndex {
    let resources: [AllocationResource]
    private var exact: [String: Int] = [:]
    /// ARN tails (the id after the ARN's last `/` or `:`) of AWS resources; -1 when two resources share one.
    private var tails: [String: Int] = [:]

    static let ambiguous = -1

    init(_ resources: [AllocationResource]) {
        self.resources = resources
        for (i, r) in resources.enumerated() {
            exact[Self.canonical(r.id)] = i
            if let tail = Self.arnTail(r.id) {
                tails[tail] = tails[tail] == nil || tails[tail] == i ? i : Self.ambiguous
            }
        }
    }

    /// The index of the resource `id` names, if the estate holds it. `providerName` is the row's
    /// ProviderName (or ServiceProviderName); a resource of another provider never matches.
    func lookup(id: String, providerName: String?) -> Int? {
        let provider = providerName.flatMap(Self.provider(ofFOCUSName:))
        func fits(_ i: Int) -> Int? { provider == nil || resources[i].provider == provider ? i : nil }
        if let i = exact[Self.canonical(id)] { return fits(i) }
        guard provider == nil || provider == "aws" else { return nil }
        if let tail = Self.arnTail(id) {
            // An ARN the estate lacks is only a resource the estate lists by its bare id: an ARN of the
            // same tail elsewhere (a database of one name in another region) is another resource.
            if let i = exact[tail], !resources[i].id.hasPrefix("arn:") { return fits(i) }
            return nil
        }
        if let i = tails[id], i != Self.ambiguous { return fits(i) }
        return nil
    }

    /// Azure resource ids compare without case; every other provider's ids exactly.
    static func canonical(_ id: String) -> String {
        id.utf8.first == UInt8(ascii: "/") && id.lowercased().hasPrefix("/subscriptions/") ? id.lowercased() : id
    }

    /// The id at the end of an ARN: `arn:aws:ec2:r:a:instance/i-1` -> `i-1`, `arn:aws:s3:::b` -> `b`.
    static func arnTail(_ id: String) -> String? {
        guard id.hasPrefix("arn:") else { return nil }
        let parts = id.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        let resource = parts[5]
        let tail = resource.split(separator: "/").last.map { $0.split(separator: ":").last ?? $0 } ?? resource
        return tail.isEmpty ? nil : String(tail)
    }

    /// vtag's provider for a FOCUS ProviderName; nil when unknown (then any provider may match).
    static func provider(ofFOCUSName name: String) -> String? {
        let n = name.lowercased()
        if n.contains("amazon") || n == "aws" { return "aws" }
        if n.contains("microsoft") || n.contains("azure") { return "azure" }
        if n.contains("google") || n == "gcp" { return "gcp" }
        if n.contains("oracle") || n == "oci" { return "oci" }
        return nil
    }
}
