import Foundation

extension AWSService {
    static let tagging = AWSService(signingName: "tagging", endpointPrefix: "tagging", iamPrefix: "tag")
    static let ecs = AWSService(signingName: "ecs", endpointPrefix: "ecs", iamPrefix: "ecs")
    static let dynamodb = AWSService(signingName: "dynamodb", endpointPrefix: "dynamodb", iamPrefix: "dynamodb")
    static let sqs = AWSService(signingName: "sqs", endpointPrefix: "sqs", iamPrefix: "sqs")
    static let sns = AWSService(signingName: "sns", endpointPrefix: "sns", iamPrefix: "sns")
    static let eks = AWSService(signingName: "eks", endpointPrefix: "eks", iamPrefix: "eks")
    static let elasticache = AWSService(signingName: "elasticache", endpointPrefix: "elasticache", iamPrefix: "elasticache")
}

extension AWSClient {
    /// An AWS JSON protocol call (ECS, the Tagging API: 1.1; DynamoDB, SQS: 1.0): a POST of a JSON body
    /// naming the operation in `X-Amz-Target`, a JSON answer.
    func json<T: Decodable>(
        _ type: T.Type, _ service: AWSService, target: String, version: String = "1.1", _ body: [String: Any], region: String
    ) async throws -> T {
        let operation = String(target.split(separator: ".").last ?? Substring(target))
        let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        let call = AWSCall(
            service: service, operation: operation, method: "POST", path: "/",
            headers: [("Content-Type", "application/x-amz-json-\(version)"), ("X-Amz-Target", target)], body: Array(data))
        return try await restJSON(T.self, call, region: region)
    }
}

/// `[{"key": ..., "value": ...}]` (ECS) or `[{"Key": ..., "Value": ...}]` (DynamoDB, the Tagging API) as a map.
struct AWSJSONTag: Decodable, Sendable {
    var key: String
    var value: String

    private enum CodingKeys: String, CodingKey { case key, value, Key, Value }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decodeIfPresent(String.self, forKey: .Key) ?? c.decode(String.self, forKey: .key)
        value = try c.decodeIfPresent(String.self, forKey: .Value) ?? c.decodeIfPresent(String.self, forKey: .value) ?? ""
    }

    static func map(_ tags: [AWSJSONTag]?) -> [String: String] {
        (tags ?? []).reduce(into: [:]) { $0[$1.key] = $1.value }
    }
}

extension AWSListContext {
    /// Pages a query-protocol Describe call by `Marker` (RDS, ElastiCache), handing `page` each answer's
    /// `<OPERATION>Result` element.
    func markerPages(
        _ service: AWSService, _ operation: String, version: String, region: String, _ page: (XMLTree) async throws -> Void
    ) async throws {
        var marker: String?
        repeat {
            var params = [("MaxRecords", String(pageSize(in: 20...100)))]
            if let marker { params.append(("Marker", marker)) }
            let answer = try await client.query(service, operation, version: version, params, region: region)
            guard let result = answer.child("\(operation)Result") else { return }
            try await page(result)
            marker = result.string("Marker")
        } while marker != nil
    }
}
