import TaggingAPI

/// Which applied virtual tags write-back puts onto which AWS resources. Pure: the same resources and
/// settings give the same writes, and a resource whose tags are already on it gives none, so a second
/// run after a successful one writes nothing.
public enum WriteBackPlan {
    /// A tag left unwritten, and why (for logs and the dry run).
    public struct Skipped: Sendable, Hashable, CustomStringConvertible {
        public var arn: String
        public var key: String
        public var reason: String
        public var description: String { "\(arn) \(key): \(reason)" }
    }

    public struct Result: Sendable {
        public var writes: [TagWrite] = []
        public var skipped: [Skipped] = []
    }

    /// AWS's limits on user tags.
    static let maxTagsPerResource = 50
    static let maxKeyLength = 128
    static let maxValueLength = 256

    /// - Parameter resources: read once, in any order (a lazy sequence over a cache keeps one object at a time).
    /// - Parameter defaultRegion: for resources whose ARN and spec name no region (S3 buckets listed without one).
    public static func make<Resources: Sequence<CloudResource>>(
        _ resources: Resources, settings: AWSWriteBackSettings, defaultRegion: String
    ) -> Result {
        var result = Result()
        let keys = Set(settings.keys)
        for r in resources {
            guard r.spec.provider == "aws", r.spec.id.hasPrefix("arn:"), r.status?.phase != .vanished else { continue }
            let native = r.spec.nativeTags ?? [:]
            let nativeKeysFolded = Set(native.keys.map { $0.lowercased() })
            var tags: [String: String] = [:]
            func skip(_ key: String, _ reason: String) { result.skipped.append(Skipped(arn: r.spec.id, key: key, reason: reason)) }
            for t in r.status?.virtualTags ?? [] where keys.contains(t.key) {
                // A native value is the resource's own: nothing to write.
                guard t.source != .native else { continue }
                guard !t.key.lowercased().hasPrefix("aws:") else { skip(t.key, "aws: keys belong to AWS"); continue }
                guard t.key.count <= maxKeyLength, t.value.count <= maxValueLength else {
                    skip(t.key, "longer than AWS allows (key 128, value 256 characters)")
                    continue
                }
                switch settings.effectiveMode {
                case .fillMissing:
                    if nativeKeysFolded.contains(t.key.lowercased()) { continue }
                case .overwrite:
                    if native[t.key] == t.value { continue }
                }
                tags[t.key] = t.value
            }
            guard !tags.isEmpty else { continue }
            let newKeys = tags.keys.filter { native[$0] == nil }.count
            guard native.count + newKeys <= maxTagsPerResource else {
                for k in tags.keys.sorted() { skip(k, "the resource would have more than \(maxTagsPerResource) tags") }
                continue
            }
            result.writes.append(TagWrite(arn: r.spec.id, region: region(of: r) ?? defaultRegion, tags: tags))
        }
        // In ARN order whatever order the resources came in: the same plan every time. A resource's skipped
        // tags keep their order.
        result.writes.sort { $0.arn < $1.arn }
        result.skipped = result.skipped.indices
            .sorted { a, b in result.skipped[a].arn != result.skipped[b].arn ? result.skipped[a].arn < result.skipped[b].arn : a < b }
            .map { result.skipped[$0] }
        return result
    }

    /// The resource's region: from its spec, else from its ARN.
    static func region(of r: CloudResource) -> String? {
        if let region = r.spec.region, !region.isEmpty { return region }
        let parts = r.spec.id.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        return parts.count > 3 && !parts[3].isEmpty ? String(parts[3]) : nil
    }
}
