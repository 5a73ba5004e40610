import TaggingAPI

/// SNS topics (query protocol ListTopics with NextToken; ListTagsForResource), tagged or not.
struct SNSTopicLister: AWSResourceLister {
    let type = "sns:topic"
    private static let version = "2010-03-31"

    func list(region: String, context: AWSListContext) async throws {
        var token: String?
        repeat {
            var params: [(String, String)] = []
            if let token { params.append(("NextToken", token)) }
            let page = try await context.client.query(.sns, "ListTopics", version: Self.version, params, region: region)
            let result = page.child("ListTopicsResult")
            let arns = (result?.items("Topics") ?? []).compactMap { $0.string("TopicArn") }
            let specs = await boundedMap(arns, limit: context.fanOut) { arn in
                await resource(arn, region: region, context: context)
            }
            if !specs.isEmpty { context.emit(specs) }
            token = result?.string("NextToken")
        } while token != nil
    }

    private func resource(_ arn: String, region: String, context: AWSListContext) async -> CloudResourceSpec {
        var tags: [String: String]?
        do {
            let answer = try await context.client.query(.sns, "ListTagsForResource", version: Self.version, [("ResourceArn", arn)], region: region)
            tags = AWSResource.queryTags(answer["ListTagsForResourceResult", "Tags"])
        } catch {
            context.report(DiscoveryFailure(scope: "\(type) \(arn) in \(region)", message: "\(error)"))
        }
        return AWSResource.spec(
            type: type, id: arn, name: String(arn.split(separator: ":").last ?? Substring(arn)), account: context.account,
            region: region, tags: tags, attributes: [:])
    }
}
