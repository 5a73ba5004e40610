import TaggingAPI

/// EKS clusters (REST-JSON GET /clusters with nextToken; GET /clusters/NAME carries the tags), tagged or not.
struct EKSClusterLister: AWSResourceLister {
    let type = "eks:cluster"

    private struct ListAnswer: Decodable {
        var clusters: [String]?
        var nextToken: String?
    }

    private struct DescribeAnswer: Decodable {
        var cluster: Cluster?
    }

    private struct Cluster: Decodable {
        var arn: String?
        var name: String?
        var version: String?
        var status: String?
        var createdAt: Double?
        var tags: [String: String]?
        var resourcesVpcConfig: VPC?
    }

    private struct VPC: Decodable {
        var vpcId: String?
        var subnetIds: [String]?
    }

    func list(region: String, context: AWSListContext) async throws {
        var token: String?
        repeat {
            var query = [("maxResults", String(context.pageSize(in: 1...100)))]
            if let token { query.append(("nextToken", token)) }
            let call = AWSCall(service: .eks, operation: "ListClusters", path: "/clusters", query: query)
            let page = try await context.client.restJSON(ListAnswer.self, call, region: region)
            let specs = await boundedMap(page.clusters ?? [], limit: context.fanOut) { name in
                await resource(name, region: region, context: context)
            }.compactMap { $0 }
            if !specs.isEmpty { context.emit(specs) }
            token = page.nextToken.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
    }

    private func resource(_ name: String, region: String, context: AWSListContext) async -> CloudResourceSpec? {
        let cluster: Cluster
        do {
            let call = AWSCall(service: .eks, operation: "DescribeCluster", path: "/clusters/" + AWSPercentEncoding.encode(name))
            guard let found = try await context.client.restJSON(DescribeAnswer.self, call, region: region).cluster else { return nil }
            cluster = found
        } catch {
            context.report(DiscoveryFailure(scope: "\(type) \(name) in \(region)", message: "\(error)"))
            return nil
        }
        let arn = cluster.arn ?? "arn:\(AWSPartition.name(for: region)):eks:\(region):\(context.account):cluster/\(name)"
        var relations: [Relation] = []
        if let vpc = cluster.resourcesVpcConfig?.vpcId, !vpc.isEmpty {
            relations.append(Relation(type: "InVPC", target: AWSResource.ec2ARN(region: region, account: context.account, kind: "vpc", id: vpc)))
        }
        return AWSResource.spec(
            type: type, id: arn, name: name, account: context.account, region: region, tags: cluster.tags ?? [:],
            attributes: ["version": cluster.version, "status": cluster.status], relations: relations)
    }
}
