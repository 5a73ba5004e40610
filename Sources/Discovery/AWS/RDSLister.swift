import TaggingAPI

/// RDS DB instances (DescribeDBInstances, Marker paging). Tags come in the answer's TagList; when an
/// endpoint leaves it out, ListTagsForResource asks for them.
struct RDSInstanceLister: AWSResourceLister {
    let type = "rds:db"
    private static let version = "2014-10-31"

    func list(region: String, context: AWSListContext) async throws {
        try await context.markerPages(.rds, "DescribeDBInstances", version: Self.version, region: region) { result in
            let specs = await boundedMap(result.items("DBInstances"), limit: context.fanOut) { node in
                await resource(node, region: region, context: context)
            }.compactMap { $0 }
            if !specs.isEmpty { context.emit(specs) }
        }
    }

    private func resource(_ node: XMLTree, region: String, context: AWSListContext) async -> CloudResourceSpec? {
        guard let name = node.string("DBInstanceIdentifier") else { return nil }
        let arn = node.string("DBInstanceArn") ?? "arn:\(AWSPartition.name(for: region)):rds:\(region):\(context.account):db:\(name)"
        var tags: [String: String]?
        if let list = node.child("TagList") {
            tags = AWSResource.queryTags(list)
        } else {
            do {
                let answer = try await context.client.query(
                    .rds, "ListTagsForResource", version: Self.version, [("ResourceName", arn)], region: region)
                tags = AWSResource.queryTags(answer["ListTagsForResourceResult", "TagList"])
            } catch {
                context.report(DiscoveryFailure(scope: "\(type) \(name) in \(region)", message: "\(error)"))
            }
        }
        var relations: [Relation] = []
        func ec2(_ kind: String, _ id: String) -> String {
            AWSResource.ec2ARN(region: region, account: context.account, kind: kind, id: id)
        }
        if let vpc = node["DBSubnetGroup"]?.string("VpcId") { relations.append(Relation(type: "InVPC", target: ec2("vpc", vpc))) }
        for membership in node.items("VpcSecurityGroups") {
            if let sg = membership.string("VpcSecurityGroupId") {
                relations.append(Relation(type: "SecuredBy", target: ec2("security-group", sg)))
            }
        }
        return AWSResource.spec(
            type: type, id: arn, name: name, account: context.account, region: region, tags: tags,
            attributes: [
                "dbInstanceIdentifier": name,
                "engine": node.string("Engine"),
                "engineVersion": node.string("EngineVersion"),
                "instanceClass": node.string("DBInstanceClass"),
                "status": node.string("DBInstanceStatus"),
                "multiAZ": node.string("MultiAZ"),
                "storageType": node.string("StorageType"),
                "allocatedStorage": node.string("AllocatedStorage"),
                "availabilityZone": node.string("AvailabilityZone"),
                "endpoint": node["Endpoint"]?.string("Address"),
            ],
            relations: relations)
    }
}
