import TaggingAPI

/// Application, network and gateway load balancers (DescribeLoadBalancers, Marker paging), tagged
/// through DescribeTags in batches of 20 ARNs (the API's limit).
struct ELBv2LoadBalancerLister: AWSResourceLister {
    let type = "elbv2:loadbalancer"
    private static let version = "2015-12-01"
    static let tagBatch = 20

    func list(region: String, context: AWSListContext) async throws {
        var marker: String?
        repeat {
            var params = [("PageSize", String(context.pageSize(in: 1...400)))]
            if let marker { params.append(("Marker", marker)) }
            let page = try await context.client.query(.elbv2, "DescribeLoadBalancers", version: Self.version, params, region: region)
            guard let result = page.child("DescribeLoadBalancersResult") else { break }
            let balancers = result.items("LoadBalancers").filter { $0.string("LoadBalancerArn") != nil }
            if !balancers.isEmpty {
                let tags = await tags(for: balancers.compactMap { $0.string("LoadBalancerArn") }, region: region, context: context)
                context.emit(balancers.map { resource($0, tags: tags, region: region, account: context.account) })
            }
            marker = result.string("NextMarker")
        } while marker != nil
    }

    /// Tags by ARN; an ARN missing from the map had its batch fail (reported), so its tags are unknown.
    private func tags(for arns: [String], region: String, context: AWSListContext) async -> [String: [String: String]] {
        let batches = stride(from: 0, to: arns.count, by: Self.tagBatch).map { Array(arns[$0..<min($0 + Self.tagBatch, arns.count)]) }
        let answers = await boundedMap(batches, limit: context.fanOut) { batch -> [String: [String: String]] in
            let params = batch.enumerated().map { ("ResourceArns.member.\($0.offset + 1)", $0.element) }
            do {
                let answer = try await context.client.query(.elbv2, "DescribeTags", version: Self.version, params, region: region)
                var out: [String: [String: String]] = [:]
                for description in answer["DescribeTagsResult"]?.items("TagDescriptions") ?? [] {
                    if let arn = description.string("ResourceArn") { out[arn] = AWSResource.queryTags(description.child("Tags")) }
                }
                // An ARN the answer leaves out has no tags.
                for arn in batch where out[arn] == nil { out[arn] = [:] }
                return out
            } catch {
                context.report(DiscoveryFailure(scope: "\(type) tags in \(region)", message: "\(error)"))
                return [:]
            }
        }
        return answers.reduce(into: [:]) { $0.merge($1) { a, _ in a } }
    }

    private func resource(_ node: XMLTree, tags: [String: [String: String]], region: String, account: String) -> CloudResourceSpec {
        let arn = node.string("LoadBalancerArn")!
        func ec2(_ kind: String, _ id: String) -> String { AWSResource.ec2ARN(region: region, account: account, kind: kind, id: id) }
        var relations: [Relation] = []
        if let vpc = node.string("VpcId") { relations.append(Relation(type: "InVPC", target: ec2("vpc", vpc))) }
        for zone in node.items("AvailabilityZones") {
            if let subnet = zone.string("SubnetId") { relations.append(Relation(type: "InSubnet", target: ec2("subnet", subnet))) }
        }
        for group in node.items("SecurityGroups") where !group.text.isEmpty {
            relations.append(Relation(type: "SecuredBy", target: ec2("security-group", group.text)))
        }
        return AWSResource.spec(
            type: type, id: arn, name: node.string("LoadBalancerName"), account: account, region: region, tags: tags[arn],
            attributes: [
                "loadBalancerType": node.string("Type"),
                "scheme": node.string("Scheme"),
                "state": node["State"]?.string("Code"),
                "dnsName": node.string("DNSName"),
                "ipAddressType": node.string("IpAddressType"),
                "createdTime": node.string("CreatedTime"),
                "vpcId": node.string("VpcId"),
            ],
            relations: relations)
    }
}
