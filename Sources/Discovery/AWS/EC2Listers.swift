import TaggingAPI

/// EC2's query API version.
private let ec2Version = "2016-11-15"

/// EC2 instances (DescribeInstances, NextToken paging), with their VPC, subnet, security groups
/// and attached volumes as relations. Terminated instances are left out: they are gone, only
/// still listed for a while.
struct EC2InstanceLister: AWSResourceLister {
    let type = "ec2:instance"

    func list(region: String, context: AWSListContext) async throws {
        var token: String?
        repeat {
            var params = [("MaxResults", String(context.pageSize(in: 5...1000)))]
            if let token { params.append(("NextToken", token)) }
            let page = try await context.client.query(.ec2, "DescribeInstances", version: ec2Version, params, region: region)
            var specs: [CloudResourceSpec] = []
            for reservation in page.items("reservationSet") {
                for instance in reservation.items("instancesSet") {
                    if let spec = resource(instance, region: region, account: context.account) { specs.append(spec) }
                }
            }
            if !specs.isEmpty { context.emit(specs) }
            token = page.string("nextToken")
        } while token != nil
    }

    private func resource(_ node: XMLTree, region: String, account: String) -> CloudResourceSpec? {
        guard let id = node.string("instanceId") else { return nil }
        let state = node["instanceState"]?.string("name")
        if state == "terminated" { return nil }
        func arn(_ kind: String, _ id: String) -> String { AWSResource.ec2ARN(region: region, account: account, kind: kind, id: id) }

        var relations: [Relation] = []
        if let vpc = node.string("vpcId") { relations.append(Relation(type: "InVPC", target: arn("vpc", vpc))) }
        if let subnet = node.string("subnetId") { relations.append(Relation(type: "InSubnet", target: arn("subnet", subnet))) }
        for group in node.items("groupSet") {
            if let sg = group.string("groupId") { relations.append(Relation(type: "SecuredBy", target: arn("security-group", sg))) }
        }
        for mapping in node.items("blockDeviceMapping") {
            if let volume = mapping["ebs"]?.string("volumeId") {
                relations.append(Relation(type: "HasVolume", target: arn("volume", volume)))
            }
        }
        return AWSResource.spec(
            type: type, id: arn("instance", id), name: id, account: account, region: region, tags: AWSResource.ec2Tags(node),
            attributes: [
                "instanceId": id,
                "instanceType": node.string("instanceType"),
                "state": state,
                "availabilityZone": node["placement"]?.string("availabilityZone"),
                "imageId": node.string("imageId"),
                "launchTime": node.string("launchTime"),
                "privateIpAddress": node.string("privateIpAddress"),
                "platform": node.string("platform"),
                "architecture": node.string("architecture"),
                "lifecycle": node.string("instanceLifecycle"),
                "keyName": node.string("keyName"),
                "vpcId": node.string("vpcId"),
                "subnetId": node.string("subnetId"),
            ],
            relations: relations)
    }
}

/// EBS volumes (DescribeVolumes, NextToken paging); an attached volume relates `AttachedTo` its instance.
struct EC2VolumeLister: AWSResourceLister {
    let type = "ec2:volume"

    func list(region: String, context: AWSListContext) async throws {
        var token: String?
        repeat {
            var params = [("MaxResults", String(context.pageSize(in: 5...500)))]
            if let token { params.append(("NextToken", token)) }
            let page = try await context.client.query(.ec2, "DescribeVolumes", version: ec2Version, params, region: region)
            let specs = page.items("volumeSet").compactMap { resource($0, region: region, account: context.account) }
            if !specs.isEmpty { context.emit(specs) }
            token = page.string("nextToken")
        } while token != nil
    }

    private func resource(_ node: XMLTree, region: String, account: String) -> CloudResourceSpec? {
        guard let id = node.string("volumeId") else { return nil }
        let relations = node.items("attachmentSet").compactMap { attachment in
            attachment.string("instanceId").map {
                Relation(type: "AttachedTo", target: AWSResource.ec2ARN(region: region, account: account, kind: "instance", id: $0))
            }
        }
        return AWSResource.spec(
            type: type, id: AWSResource.ec2ARN(region: region, account: account, kind: "volume", id: id), name: id,
            account: account, region: region, tags: AWSResource.ec2Tags(node),
            attributes: [
                "volumeId": id,
                "volumeType": node.string("volumeType"),
                "size": node.string("size"),
                "state": node.string("status"),
                "availabilityZone": node.string("availabilityZone"),
                "encrypted": node.string("encrypted"),
                "iops": node.string("iops"),
                "createTime": node.string("createTime"),
                "snapshotId": node.string("snapshotId"),
            ],
            relations: relations)
    }
}
