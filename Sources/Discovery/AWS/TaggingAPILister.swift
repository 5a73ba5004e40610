import TaggingAPI

/// Every tagged resource of a region through the Resource Groups Tagging API (GetResources, paged by
/// PaginationToken, at most 15 calls a second), whatever its service. Resources of types a direct
/// lister also covers are left to that lister, which sees untagged ones and richer attributes too; the
/// rest (IAM roles, KMS keys, CloudWatch alarms, Step Functions, ...) arrive only this way.
struct TaggingAPIResourceLister: AWSResourceLister {
    static let type = "tagging:resource"
    var type: String { "tagging:resource" }
    static let callsPerSecond = 15
    /// Types listed directly in this run.
    var directTypes: Set<String>

    private struct Answer: Decodable {
        var PaginationToken: String?
        var ResourceTagMappingList: [Mapping]?
    }

    private struct Mapping: Decodable {
        var ResourceARN: String
        var Tags: [AWSJSONTag]?
    }

    func list(region: String, context: AWSListContext) async throws {
        let pacer = CallPacer(callsPerSecond: Self.callsPerSecond)
        var token: String?
        repeat {
            var body: [String: Any] = ["ResourcesPerPage": context.pageSize(in: 1...100)]
            if let token { body["PaginationToken"] = token }
            try await pacer.wait()
            let page = try await context.client.json(
                Answer.self, .tagging, target: "ResourceGroupsTaggingAPI_20170126.GetResources", body, region: region)
            let specs = (page.ResourceTagMappingList ?? []).compactMap { mapping -> CloudResourceSpec? in
                let arn = AWSARN(mapping.ResourceARN)
                guard let arn, !directTypes.contains(arn.type) else { return nil }
                return AWSResource.spec(
                    type: arn.type, id: mapping.ResourceARN, name: arn.name, account: arn.account.isEmpty ? context.account : arn.account,
                    region: arn.region.isEmpty ? region : arn.region, tags: AWSJSONTag.map(mapping.Tags), attributes: [:])
            }
            if !specs.isEmpty { context.emit(specs) }
            token = page.PaginationToken.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
    }
}

/// The parts of an ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`) discovery names resources by.
struct AWSARN: Sendable, Hashable {
    var service: String
    var region: String
    var account: String
    /// `service:kind`, in the shape the direct listers use (`ec2:instance`, `elbv2:loadbalancer`, `sqs:queue`).
    var type: String
    var name: String

    init?(_ arn: String) {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6, parts[0] == "arn", !parts[2].isEmpty else { return nil }
        service = parts[2]
        region = parts[3]
        account = parts[4]
        let resource = parts[5]
        let kindEnd = resource.firstIndex { $0 == "/" || $0 == ":" }
        let kind = kindEnd.map { String(resource[..<$0]) }
        // What follows the kind: `stateMachine:NAME`, `table/NAME`, `service/CLUSTER/NAME`, `task-definition/FAMILY:REVISION`.
        let rest = kindEnd.map { resource[resource.index(after: $0)...] } ?? Substring(resource)
        name = String(rest.split(separator: "/").last ?? rest)
        switch (service, kind) {
        case ("s3", nil): type = "s3:bucket"
        case ("sqs", nil): type = "sqs:queue"
        case ("sns", nil): type = "sns:topic"
        case ("elasticloadbalancing", "loadbalancer"):
            // loadbalancer/app/NAME/ID and loadbalancer/net/NAME/ID are ELBv2; loadbalancer/NAME is Classic.
            let segments = resource.split(separator: "/")
            type = segments.count >= 4 ? "elbv2:loadbalancer" : "elb:loadbalancer"
            if segments.count >= 3 { name = String(segments[2]) }
        case ("elasticloadbalancing", let kind?): type = "elbv2:\(kind.lowercased())"
        case (_, let kind?): type = "\(service):\(kind.lowercased())"
        case (_, nil): type = "\(service):resource"
        }
    }
}
