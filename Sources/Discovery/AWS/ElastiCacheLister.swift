import TaggingAPI

/// ElastiCache clusters (query protocol DescribeCacheClusters with Marker; ListTagsForResource), tagged or not.
struct ElastiCacheClusterLister: AWSResourceLister {
    let type = "elasticache:cluster"
    private static let version = "2015-02-02"

    func list(region: String, context: AWSListContext) async throws {
        try await context.markerPages(.elasticache, "DescribeCacheClusters", version: Self.version, region: region) { result in
            let specs = await boundedMap(result.items("CacheClusters"), limit: context.fanOut) { node in
                await resource(node, region: region, context: context)
            }.compactMap { $0 }
            if !specs.isEmpty { context.emit(specs) }
        }
    }

    private func resource(_ node: XMLTree, region: String, context: AWSListContext) async -> CloudResourceSpec? {
        guard let id = node.string("CacheClusterId") else { return nil }
        let arn = node.string("ARN") ?? "arn:\(AWSPartition.name(for: region)):elasticache:\(region):\(context.account):cluster:\(id)"
        var tags: [String: String]?
        do {
            let answer = try await context.client.query(.elasticache, "ListTagsForResource", version: Self.version, [("ResourceName", arn)], region: region)
            tags = AWSResource.queryTags(answer["ListTagsForResourceResult", "TagList"])
        } catch {
            context.report(DiscoveryFailure(scope: "\(type) \(id) in \(region)", message: "\(error)"))
        }
        var relations: [Relation] = []
        if let group = node.string("ReplicationGroupId") {
            relations.append(Relation(
                type: "MemberOf", target: "arn:\(AWSPartition.name(for: region)):elasticache:\(region):\(context.account):replicationgroup:\(group)"))
        }
        return AWSResource.spec(
            type: type, id: arn, name: id, account: context.account, region: region, tags: tags,
            attributes: [
                "engine": node.string("Engine"),
                "engineVersion": node.string("EngineVersion"),
                "nodeType": node.string("CacheNodeType"),
                "status": node.string("CacheClusterStatus"),
                "nodes": node.string("NumCacheNodes"),
            ],
            relations: relations)
    }
}
