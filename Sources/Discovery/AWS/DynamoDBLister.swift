import TaggingAPI

/// DynamoDB tables (ListTables, ExclusiveStartTableName paging; DescribeTable; ListTagsOfResource), tagged or not.
struct DynamoDBTableLister: AWSResourceLister {
    let type = "dynamodb:table"
    private static let target = "DynamoDB_20120810"

    private struct ListAnswer: Decodable {
        var TableNames: [String]?
        var LastEvaluatedTableName: String?
    }

    private struct DescribeAnswer: Decodable {
        var Table: Table?
    }

    private struct Table: Decodable {
        var TableArn: String?
        var TableName: String?
        var TableStatus: String?
        var ItemCount: Int?
        var TableSizeBytes: Int?
        var CreationDateTime: Double?
        var BillingModeSummary: BillingMode?
    }

    private struct BillingMode: Decodable {
        var BillingMode: String?
    }

    private struct TagsAnswer: Decodable {
        var Tags: [AWSJSONTag]?
        var NextToken: String?
    }

    func list(region: String, context: AWSListContext) async throws {
        var start: String?
        repeat {
            var body: [String: Any] = ["Limit": context.pageSize(in: 1...100)]
            if let start { body["ExclusiveStartTableName"] = start }
            let page = try await context.client.json(
                ListAnswer.self, .dynamodb, target: "\(Self.target).ListTables", version: "1.0", body, region: region)
            let specs = await boundedMap(page.TableNames ?? [], limit: context.fanOut) { name in
                await resource(name, region: region, context: context)
            }.compactMap { $0 }
            if !specs.isEmpty { context.emit(specs) }
            start = page.LastEvaluatedTableName.flatMap { $0.isEmpty ? nil : $0 }
        } while start != nil
    }

    private func resource(_ name: String, region: String, context: AWSListContext) async -> CloudResourceSpec? {
        let client = context.client
        let table: Table
        do {
            guard let described = try await client.json(
                DescribeAnswer.self, .dynamodb, target: "\(Self.target).DescribeTable", version: "1.0", ["TableName": name], region: region
            ).Table else { return nil }
            table = described
        } catch {
            context.report(DiscoveryFailure(scope: "\(type) \(name) in \(region)", message: "\(error)"))
            return nil
        }
        let arn = table.TableArn ?? "arn:\(AWSPartition.name(for: region)):dynamodb:\(region):\(context.account):table/\(name)"
        var tags: [String: String]?
        do {
            var collected: [String: String] = [:]
            var token: String?
            repeat {
                var body: [String: Any] = ["ResourceArn": arn]
                if let token { body["NextToken"] = token }
                let answer = try await client.json(
                    TagsAnswer.self, .dynamodb, target: "\(Self.target).ListTagsOfResource", version: "1.0", body, region: region)
                collected.merge(AWSJSONTag.map(answer.Tags)) { _, new in new }
                token = answer.NextToken.flatMap { $0.isEmpty ? nil : $0 }
            } while token != nil
            tags = collected
        } catch {
            context.report(DiscoveryFailure(scope: "\(type) \(name) in \(region)", message: "\(error)"))
        }
        return AWSResource.spec(
            type: type, id: arn, name: name, account: context.account, region: region, tags: tags,
            attributes: [
                "status": table.TableStatus,
                "itemCount": table.ItemCount.map(String.init),
                "sizeBytes": table.TableSizeBytes.map(String.init),
                "billingMode": table.BillingModeSummary?.BillingMode,
            ])
    }
}
