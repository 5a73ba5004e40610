import TaggingAPI

/// What every lister needs: the signed client, the account, and the job's bounds.
struct AWSListContext: Sendable {
    var client: AWSClient
    var account: String
    /// The page size asked of every list call (clamped to each API's range); nil: the API's maximum.
    var pageSize: Int?
    /// How many per-resource calls (tags, bucket locations) run at once.
    var fanOut: Int
    /// The job's regions (S3 lists buckets once and keeps those in these regions).
    var regions: [String]
    /// Delivers a page of resources; and a failure of one part that does not stop the rest.
    var emit: @Sendable ([CloudResourceSpec]) -> Void
    var report: @Sendable (DiscoveryFailure) -> Void

    func pageSize(in range: ClosedRange<Int>) -> Int {
        min(max(pageSize ?? range.upperBound, range.lowerBound), range.upperBound)
    }
}

/// Lists one resource type. Regional listers run once per region; a global one (S3) once per job.
protocol AWSResourceLister: Sendable {
    /// The CloudResource type, e.g. `ec2:instance`.
    var type: String { get }
    var isGlobal: Bool { get }
    func list(region: String, context: AWSListContext) async throws
}

extension AWSResourceLister {
    var isGlobal: Bool { false }
}

/// Resource shaping shared by the listers.
enum AWSResource {
    static func spec(
        type: String, id: String, name: String?, account: String, region: String, tags: [String: String]?,
        attributes: [String: String?], relations: [Relation] = []
    ) -> CloudResourceSpec {
        let cleanAttributes = attributes.compactMapValues { value -> String? in
            guard let value, !value.isEmpty else { return nil }
            return value
        }
        return CloudResourceSpec(
            provider: "aws", id: id, type: type, name: tags?["Name"].flatMap { $0.isEmpty ? nil : $0 } ?? name, account: account,
            region: region, nativeTags: tags, attributes: cleanAttributes.isEmpty ? nil : cleanAttributes,
            relations: relations.isEmpty ? nil : relations)
    }

    /// `arn:aws:ec2:REGION:ACCOUNT:KIND/ID`, the ARN EC2 does not return itself.
    static func ec2ARN(region: String, account: String, kind: String, id: String) -> String {
        "arn:\(AWSPartition.name(for: region)):ec2:\(region):\(account):\(kind)/\(id)"
    }

    /// EC2's `<tagSet><item><key/><value/></item></tagSet>`.
    static func ec2Tags(_ node: XMLTree) -> [String: String] {
        keyValues(node.items("tagSet"), key: "key", value: "value")
    }

    /// The query services' `<TagList><Tag><Key/><Value/></Tag></TagList>` or `<Tags><member>...`.
    static func queryTags(_ list: XMLTree?) -> [String: String] {
        keyValues(list?.children ?? [], key: "Key", value: "Value")
    }

    private static func keyValues(_ items: [XMLTree], key: String, value: String) -> [String: String] {
        var tags: [String: String] = [:]
        tags.reserveCapacity(items.count)
        for item in items {
            guard let k = item.string(key) else { continue }
            tags[k] = item.child(value)?.text ?? ""
        }
        return tags
    }
}

/// One item's result in `boundedMap`'s task group, with its position: a named struct, never a tuple
/// (Swift 6.3.1 release builds miscompile tuple child results).
private struct IndexedResult<R: Sendable>: Sendable {
    let index: Int
    let value: R
}

/// Runs `transform` over `items` with at most `limit` at once, keeping the order.
func boundedMap<T: Sendable, R: Sendable>(
    _ items: [T], limit: Int, _ transform: @escaping @Sendable (T) async -> R
) async -> [R] {
    guard !items.isEmpty else { return [] }
    var results = [R?](repeating: nil, count: items.count)
    await withTaskGroup(of: IndexedResult<R>.self) { group in
        var next = 0
        func startNext() {
            let index = next
            let item = items[index]
            group.addTask { IndexedResult(index: index, value: await transform(item)) }
            next += 1
        }
        while next < min(max(limit, 1), items.count) { startNext() }
        while let done = await group.next() {
            results[done.index] = done.value
            if next < items.count { startNext() }
        }
    }
    return results.map { $0! }
}
