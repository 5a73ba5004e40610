import TaggingAPI

/// SQS queues (AWS JSON 1.0: ListQueues with NextToken; GetQueueAttributes for the ARN; ListQueueTags), tagged or not.
struct SQSQueueLister: AWSResourceLister {
    let type = "sqs:queue"

    private struct ListAnswer: Decodable {
        var QueueUrls: [String]?
        var NextToken: String?
    }

    private struct AttributesAnswer: Decodable {
        var Attributes: [String: String]?
    }

    private struct TagsAnswer: Decodable {
        var Tags: [String: String]?
    }

    func list(region: String, context: AWSListContext) async throws {
        var token: String?
        repeat {
            var body: [String: Any] = ["MaxResults": context.pageSize(in: 1...1000)]
            if let token { body["NextToken"] = token }
            let page = try await context.client.json(ListAnswer.self, .sqs, target: "AmazonSQS.ListQueues", version: "1.0", body, region: region)
            let specs = await boundedMap(page.QueueUrls ?? [], limit: context.fanOut) { url in
                await resource(url, region: region, context: context)
            }
            if !specs.isEmpty { context.emit(specs) }
            token = page.NextToken.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
    }

    private func resource(_ url: String, region: String, context: AWSListContext) async -> CloudResourceSpec {
        let name = String(url.split(separator: "/").last ?? Substring(url))
        var attributes: [String: String] = [:]
        var tags: [String: String]?
        do {
            attributes = try await context.client.json(
                AttributesAnswer.self, .sqs, target: "AmazonSQS.GetQueueAttributes", version: "1.0",
                ["QueueUrl": url, "AttributeNames": ["QueueArn", "CreatedTimestamp", "VisibilityTimeout", "FifoQueue"]], region: region
            ).Attributes ?? [:]
            tags = try await context.client.json(
                TagsAnswer.self, .sqs, target: "AmazonSQS.ListQueueTags", version: "1.0", ["QueueUrl": url], region: region
            ).Tags ?? [:]
        } catch {
            context.report(DiscoveryFailure(scope: "\(type) \(name) in \(region)", message: "\(error)"))
        }
        let arn = attributes["QueueArn"] ?? "arn:\(AWSPartition.name(for: region)):sqs:\(region):\(context.account):\(name)"
        return AWSResource.spec(
            type: type, id: arn, name: name, account: context.account, region: region, tags: tags,
            attributes: [
                "url": url,
                "createdTimestamp": attributes["CreatedTimestamp"],
                "visibilityTimeout": attributes["VisibilityTimeout"],
                "fifo": attributes["FifoQueue"],
            ])
    }
}
