import TaggingAPI

private let ecsTarget = "AmazonEC2ContainerServiceV20141113"

private struct ListAnswer: Decodable {
    var clusterArns: [String]?
    var serviceArns: [String]?
    var nextToken: String?
}

/// Every cluster ARN of a region (ListClusters, nextToken paging).
private func clusterARNs(region: String, context: AWSListContext) async throws -> [String] {
    var arns: [String] = []
    var token: String?
    repeat {
        var body: [String: Any] = ["maxResults": context.pageSize(in: 1...100)]
        if let token { body["nextToken"] = token }
        let page = try await context.client.json(ListAnswer.self, .ecs, target: "\(ecsTarget).ListClusters", body, region: region)
        arns += page.clusterArns ?? []
        token = page.nextToken.flatMap { $0.isEmpty ? nil : $0 }
    } while token != nil
    return arns
}

/// ECS clusters (ListClusters, then DescribeClusters with their tags, 100 at a time), tagged or not.
struct ECSClusterLister: AWSResourceLister {
    let type = "ecs:cluster"

    private struct DescribeAnswer: Decodable {
        var clusters: [Cluster]?
    }

    private struct Cluster: Decodable {
        var clusterArn: String
        var clusterName: String?
        var status: String?
        var runningTasksCount: Int?
        var activeServicesCount: Int?
        var registeredContainerInstancesCount: Int?
        var tags: [AWSJSONTag]?
    }

    func list(region: String, context: AWSListContext) async throws {
        let arns = try await clusterARNs(region: region, context: context)
        for start in stride(from: 0, to: arns.count, by: 100) {
            let chunk = Array(arns[start..<min(start + 100, arns.count)])
            let answer = try await context.client.json(
                DescribeAnswer.self, .ecs, target: "\(ecsTarget).DescribeClusters", ["clusters": chunk, "include": ["TAGS"]], region: region)
            let specs = (answer.clusters ?? []).map { cluster in
                AWSResource.spec(
                    type: type, id: cluster.clusterArn, name: cluster.clusterName, account: context.account, region: region,
                    tags: AWSJSONTag.map(cluster.tags),
                    attributes: [
                        "status": cluster.status,
                        "runningTasksCount": cluster.runningTasksCount.map(String.init),
                        "activeServicesCount": cluster.activeServicesCount.map(String.init),
                        "containerInstances": cluster.registeredContainerInstancesCount.map(String.init),
                    ])
            }
            if !specs.isEmpty { context.emit(specs) }
        }
    }
}

/// ECS services of every cluster (ListServices, then DescribeServices with their tags, 10 at a time);
/// a service is `MemberOf` its cluster, so it can inherit the cluster's owners.
struct ECSServiceLister: AWSResourceLister {
    let type = "ecs:service"

    private struct DescribeAnswer: Decodable {
        var services: [Service]?
    }

    private struct Service: Decodable {
        var serviceArn: String
        var serviceName: String?
        var clusterArn: String?
        var status: String?
        var launchType: String?
        var desiredCount: Int?
        var runningCount: Int?
        var taskDefinition: String?
        var tags: [AWSJSONTag]?
    }

    func list(region: String, context: AWSListContext) async throws {
        for cluster in try await clusterARNs(region: region, context: context) {
            var token: String?
            repeat {
                var body: [String: Any] = ["cluster": cluster, "maxResults": context.pageSize(in: 1...100)]
                if let token { body["nextToken"] = token }
                let page = try await context.client.json(ListAnswer.self, .ecs, target: "\(ecsTarget).ListServices", body, region: region)
                let arns = page.serviceArns ?? []
                for start in stride(from: 0, to: arns.count, by: 10) {
                    let chunk = Array(arns[start..<min(start + 10, arns.count)])
                    let answer = try await context.client.json(
                        DescribeAnswer.self, .ecs, target: "\(ecsTarget).DescribeServices",
                        ["cluster": cluster, "services": chunk, "include": ["TAGS"]], region: region)
                    let specs = (answer.services ?? []).map { service in
                        AWSResource.spec(
                            type: type, id: service.serviceArn, name: service.serviceName, account: context.account, region: region,
                            tags: AWSJSONTag.map(service.tags),
                            attributes: [
                                "status": service.status,
                                "launchType": service.launchType,
                                "desiredCount": service.desiredCount.map(String.init),
                                "runningCount": service.runningCount.map(String.init),
                                "taskDefinition": service.taskDefinition,
                                "cluster": service.clusterArn ?? cluster,
                            ],
                            relations: [Relation(type: "MemberOf", target: service.clusterArn ?? cluster)])
                    }
                    if !specs.isEmpty { context.emit(specs) }
                }
                token = page.nextToken.flatMap { $0.isEmpty ? nil : $0 }
            } while token != nil
        }
    }
}
