import TaggingAPI

/// Lambda functions (REST-JSON ListFunctions, Marker paging), tagged through ListTags per function.
struct LambdaFunctionLister: AWSResourceLister {
    let type = "lambda:function"

    private struct ListFunctionsAnswer: Decodable {
        var Functions: [Function]?
        var NextMarker: String?
    }

    private struct Function: Decodable, Sendable {
        var FunctionName: String?
        var FunctionArn: String?
        var Runtime: String?
        var Role: String?
        var Handler: String?
        var MemorySize: Int?
        var Timeout: Int?
        var LastModified: String?
        var PackageType: String?
        var Version: String?
        var Architectures: [String]?
        var VpcConfig: VpcConfig?
    }

    private struct VpcConfig: Decodable, Sendable {
        var VpcId: String?
        var SubnetIds: [String]?
        var SecurityGroupIds: [String]?
    }

    private struct ListTagsAnswer: Decodable {
        var Tags: [String: String]?
    }

    func list(region: String, context: AWSListContext) async throws {
        var marker: String?
        repeat {
            var query = [("MaxItems", String(context.pageSize(in: 1...50)))]
            if let marker { query.append(("Marker", marker)) }
            let call = AWSCall(service: .lambda, operation: "ListFunctions", path: "/2015-03-31/functions", query: query)
            let page = try await context.client.restJSON(ListFunctionsAnswer.self, call, region: region)
            let functions = (page.Functions ?? []).filter { $0.FunctionArn != nil }
            let specs = await boundedMap(functions, limit: context.fanOut) { function in
                await resource(function, region: region, context: context)
            }
            if !specs.isEmpty { context.emit(specs) }
            marker = page.NextMarker.flatMap { $0.isEmpty ? nil : $0 }
        } while marker != nil
    }

    private func resource(_ function: Function, region: String, context: AWSListContext) async -> CloudResourceSpec {
        let arn = function.FunctionArn!
        var tags: [String: String]?
        do {
            // The ARN is one path segment: its colons travel encoded.
            let call = AWSCall(service: .lambda, operation: "ListTags", path: "/2017-03-31/tags/" + AWSPercentEncoding.encode(arn))
            tags = try await context.client.restJSON(ListTagsAnswer.self, call, region: region).Tags ?? [:]
        } catch {
            context.report(DiscoveryFailure(scope: "\(type) \(function.FunctionName ?? arn) in \(region)", message: "\(error)"))
        }
        func ec2(_ kind: String, _ id: String) -> String {
            AWSResource.ec2ARN(region: region, account: context.account, kind: kind, id: id)
        }
        var relations: [Relation] = []
        if let vpc = function.VpcConfig?.VpcId, !vpc.isEmpty { relations.append(Relation(type: "InVPC", target: ec2("vpc", vpc))) }
        for subnet in function.VpcConfig?.SubnetIds ?? [] { relations.append(Relation(type: "InSubnet", target: ec2("subnet", subnet))) }
        for sg in function.VpcConfig?.SecurityGroupIds ?? [] {
            relations.append(Relation(type: "SecuredBy", target: ec2("security-group", sg)))
        }
        return AWSResource.spec(
            type: type, id: arn, name: function.FunctionName, account: context.account, region: region, tags: tags,
            attributes: [
                "runtime": function.Runtime,
                "handler": function.Handler,
                "memorySize": function.MemorySize.map(String.init),
                "timeout": function.Timeout.map(String.init),
                "lastModified": function.LastModified,
                "packageType": function.PackageType,
                "architectures": function.Architectures?.joined(separator: ","),
                "role": function.Role,
            ],
            relations: relations)
    }
}
