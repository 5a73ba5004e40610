import TaggingAPI

/// How each cloud spells a deployment's parts: resource types, ids (ARNs, GCP full resource names,
/// Azure resource ids), name rules, relations and attributes.
extension EstateIterator {
    /// What an application runs in one environment, by its kind.
    enum Component {
        case loadBalancer, instance, database, bucket, function
    }

    mutating func plan(_ d: Deployment) -> [Component] {
        var out: [Component] = []
        let prod = d.env == "production"
        switch d.app.archetype {
        case .service:
            out.append(.loadBalancer)
            out += Array(repeating: .instance, count: prod ? rng.int(in: 2...4) : rng.int(in: 1...2))
            if rng.chance(0.5) { out.append(.database) }
            if rng.chance(0.4) { out.append(.bucket) }
        case .worker:
            out += Array(repeating: .instance, count: rng.int(in: 1...3))
            if rng.chance(0.5) { out.append(.bucket) }
        case .serverless:
            out += Array(repeating: .function, count: rng.int(in: 1...3))
            if rng.chance(0.6) { out.append(.bucket) }
        case .data:
            out.append(.database)
            out += Array(repeating: .bucket, count: rng.int(in: 1...2))
            if rng.chance(0.3) { out.append(.instance) }
        }
        return out
    }

    mutating func append(_ spec: CloudResourceSpec, _ d: Deployment) {
        buffer.append(SimulatedResource(spec: spec, truth: d.truth))
    }

    // MARK: AWS

    mutating func emitAWS(_ d: Deployment) {
        let (acct, region) = (d.account.id, d.region)
        let vpc = "arn:aws:ec2:\(region):\(acct):vpc/vpc-\(stableHex("\(acct)/\(region)", 17))"
        var extra: [String: String] = [:]
        if d.team.usesCloudFormation && !d.noSignal {
            extra["aws:cloudformation:stack-name"] = "\(d.app.name)-\(d.envToken)"
        }
        for component in plan(d) {
            switch component {
            case .instance:
                let iid = "i-\(rng.hex(17))"
                let arn = "arn:aws:ec2:\(region):\(acct):instance/\(iid)"
                issuedIDs.insert(arn)
                let role = rng.pick(EstateVocabulary.computeRoles)
                var name: String? = d.style.name(parts(d, role: role, number: nextNumber(d)), rng: &rng)
                if d.style == .opaque && rng.chance(0.6) { name = nil }  // never given a Name tag
                var tags = nativeTags(d, extra: extra)
                if let name { tags["Name"] = name }
                append(CloudResourceSpec(
                    provider: "aws", id: arn, type: "ec2:instance", name: name, account: acct, region: region,
                    nativeTags: tags,
                    attributes: [
                        "instanceId": iid, "instanceType": rng.pick(EstateVocabulary.awsInstanceTypes),
                        "state": rng.chance(0.9) ? "running" : "stopped",
                    ],
                    relations: [
                        Relation(type: "InVPC", target: vpc),
                        Relation(type: "InSubnet", target: "arn:aws:ec2:\(region):\(acct):subnet/subnet-\(stableHex("\(vpc)/\(rng.below(3))", 17))"),
                    ]), d)
                for k in 0..<rng.int(in: 1...2) {
                    let vid = "vol-\(rng.hex(17))"
                    let varn = "arn:aws:ec2:\(region):\(acct):volume/\(vid)"
                    issuedIDs.insert(varn)
                    let vname = name.map { "\($0)-\(k == 0 ? "root" : "data")" }
                    // Volumes are tagged far less often than their instances: inheritance has work to do.
                    var vtags = nativeTags(d, share: 0.3)
                    if let vname, rng.chance(0.6) { vtags["Name"] = vname }
                    append(CloudResourceSpec(
                        provider: "aws", id: varn, type: "ec2:volume", name: vtags["Name"], account: acct, region: region,
                        nativeTags: vtags,
                        attributes: [
                            "volumeId": vid, "sizeGiB": String(rng.pick([8, 20, 50, 100, 500])),
                            "volumeType": rng.pick(["gp3", "gp2", "io2"]), "state": "in-use",
                        ],
                        relations: [Relation(type: "AttachedTo", target: arn)]), d)
                }
            case .database:
                let base = d.style.name(parts(d, role: "db"), rng: &rng).dnsLabel()
                let (name, arn) = unique(base) { "arn:aws:rds:\(region):\(acct):db:\($0)" }
                append(CloudResourceSpec(
                    provider: "aws", id: arn, type: "rds:db", name: name, account: acct, region: region,
                    nativeTags: nativeTags(d, extra: extra),
                    attributes: [
                        "engine": rng.pick(EstateVocabulary.dbEngines),
                        "instanceClass": rng.pick(["db.t3.medium", "db.r6g.large", "db.m6g.xlarge"]),
                    ],
                    relations: [Relation(type: "InVPC", target: vpc)]), d)
            case .bucket:
                let purpose = rng.pick(EstateVocabulary.bucketPurposes)
                var base = d.style.name(parts(d, role: purpose), rng: &rng).dnsLabel()
                if rng.chance(0.5) { base = "\(org.company)-\(base)" }
                let (name, arn) = unique(base) { "arn:aws:s3:::\($0)" }
                append(CloudResourceSpec(
                    provider: "aws", id: arn, type: "s3:bucket", name: name, account: acct, region: region,
                    nativeTags: nativeTags(d, share: 0.8, extra: extra),
                    attributes: ["versioning": rng.chance(0.5) ? "Enabled" : "Suspended"]), d)
            case .loadBalancer:
                let name = d.style.name(parts(d, role: "alb"), rng: &rng).restricted(
                    lowercase: false, allowed: { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }, replacement: "-",
                    maxLength: 32)
                let arn = "arn:aws:elasticloadbalancing:\(region):\(acct):loadbalancer/app/\(name)/\(rng.hex(16))"
                issuedIDs.insert(arn)
                append(CloudResourceSpec(
                    provider: "aws", id: arn, type: "elbv2:loadbalancer", name: name, account: acct, region: region,
                    nativeTags: nativeTags(d, extra: extra),
                    attributes: ["scheme": rng.chance(0.6) ? "internet-facing" : "internal", "type": "application"],
                    relations: [Relation(type: "InVPC", target: vpc)]), d)
            case .function:
                let purpose = rng.pick(EstateVocabulary.functionPurposes)
                let base = d.style.name(parts(d, role: purpose), rng: &rng).restricted(
                    lowercase: false, allowed: { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") },
                    replacement: "-", maxLength: 64)
                let (name, arn) = unique(base) { "arn:aws:lambda:\(region):\(acct):function:\($0)" }
                append(CloudResourceSpec(
                    provider: "aws", id: arn, type: "lambda:function", name: name, account: acct, region: region,
                    nativeTags: nativeTags(d, extra: extra),
                    attributes: [
                        "runtime": rng.pick(EstateVocabulary.lambdaRuntimes), "memorySize": String(rng.pick([128, 256, 512, 1024])),
                    ]), d)
            }
        }
    }

    // MARK: GCP

    mutating func emitGCP(_ d: Deployment) {
        let (project, region) = (d.account.id, d.region)
        for component in plan(d) {
            switch component {
            case .instance:
                let zone = "\(region)-\(rng.pick(["a", "b", "c"]))"
                let role = rng.pick(EstateVocabulary.computeRoles)
                let base = d.style.name(parts(d, role: role, number: nextNumber(d)), rng: &rng).dnsLabel()
                let (name, id) = unique(base) { "//compute.googleapis.com/projects/\(project)/zones/\(zone)/instances/\($0)" }
                append(CloudResourceSpec(
                    provider: "gcp", id: id, type: "compute:instance", name: name, account: project, region: region,
                    nativeTags: nativeTags(d),
                    attributes: ["zone": zone, "machineType": rng.pick(EstateVocabulary.gcpMachineTypes), "status": "RUNNING"],
                    relations: [Relation(type: "InVPC", target: "//compute.googleapis.com/projects/\(project)/global/networks/default")]), d)
                // The boot disk takes the instance's name, as GCP does; some have a data disk.
                for diskName in rng.chance(0.4) ? [name, "\(name)-data"] : [name] {
                    let (dn, did) = unique(diskName) { "//compute.googleapis.com/projects/\(project)/zones/\(zone)/disks/\($0)" }
                    append(CloudResourceSpec(
                        provider: "gcp", id: did, type: "compute:disk", name: dn, account: project, region: region,
                        nativeTags: nativeTags(d, share: 0.4),
                        attributes: ["zone": zone, "sizeGb": String(rng.pick([10, 50, 100, 200])), "type": "pd-balanced"],
                        relations: [Relation(type: "AttachedTo", target: id)]), d)
                }
            case .database:
                let base = d.style.name(parts(d, role: "db"), rng: &rng).dnsLabel(maxLength: 80)
                let (name, id) = unique(base) { "//sqladmin.googleapis.com/projects/\(project)/instances/\($0)" }
                append(CloudResourceSpec(
                    provider: "gcp", id: id, type: "sql:instance", name: name, account: project, region: region,
                    nativeTags: nativeTags(d),
                    attributes: ["databaseVersion": rng.pick(["POSTGRES_15", "MYSQL_8_0"]), "tier": "db-custom-2-7680"]), d)
            case .bucket:
                let purpose = rng.pick(EstateVocabulary.bucketPurposes)
                var base = d.style.name(parts(d, role: purpose), rng: &rng).restricted(
                    lowercase: true, allowed: { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") },
                    replacement: "-", maxLength: 63)
                if rng.chance(0.5) { base = "\(org.company)-\(base)" }
                let (name, id) = unique(base) { "//storage.googleapis.com/\($0)" }
                append(CloudResourceSpec(
                    provider: "gcp", id: id, type: "storage:bucket", name: name, account: project, region: region,
                    nativeTags: nativeTags(d, share: 0.8),
                    attributes: ["storageClass": rng.pick(["STANDARD", "NEARLINE", "COLDLINE"])]), d)
            case .loadBalancer:
                // A GCP load balancer is several resources; its forwarding rule stands for it.
                let base = d.style.name(parts(d, role: "lb"), rng: &rng).dnsLabel()
                let (name, id) = unique(base) { "//compute.googleapis.com/projects/\(project)/regions/\(region)/forwardingRules/\($0)" }
                append(CloudResourceSpec(
                    provider: "gcp", id: id, type: "compute:forwardingrule", name: name, account: project, region: region,
                    nativeTags: nativeTags(d, share: 0.6),
                    attributes: ["loadBalancingScheme": rng.pick(["EXTERNAL_MANAGED", "INTERNAL_MANAGED"])]), d)
            case .function:
                let purpose = rng.pick(EstateVocabulary.functionPurposes)
                let base = d.style.name(parts(d, role: purpose), rng: &rng).dnsLabel(maxLength: 49)
                let (name, id) = unique(base) { "//run.googleapis.com/projects/\(project)/locations/\(region)/services/\($0)" }
                append(CloudResourceSpec(
                    provider: "gcp", id: id, type: "run:service", name: name, account: project, region: region,
                    nativeTags: nativeTags(d), attributes: ["ingress": rng.pick(["all", "internal"])]), d)
            }
        }
    }

    // MARK: Azure

    mutating func emitAzure(_ d: Deployment) {
        let (sub, region) = (d.account.id, d.region)
        let rgName = resourceGroupName(d)
        let rg = "/subscriptions/\(sub)/resourceGroups/\(rgName)"
        if resourceGroups.insert(rg).inserted {
            issuedIDs.insert(rg)
            // Resource groups are tagged more often than what they hold (Azure Policy can require it).
            append(CloudResourceSpec(
                provider: "azure", id: rg, type: "resources:resourcegroup", name: rgName, account: sub, region: region,
                nativeTags: nativeTags(d, share: 0.97)), d)
        }
        let memberOf = Relation(type: "MemberOf", target: rg)
        func provider(_ path: String) -> String { "\(rg)/providers/\(path)" }
        for component in plan(d) {
            switch component {
            case .instance:
                let role = rng.pick(EstateVocabulary.computeRoles)
                let base = d.style.name(parts(d, role: role, number: nextNumber(d)), rng: &rng).restricted(
                    lowercase: false, allowed: { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }, replacement: "-",
                    maxLength: 64)
                let (name, id) = unique(base) { provider("Microsoft.Compute/virtualMachines/\($0)") }
                append(CloudResourceSpec(
                    provider: "azure", id: id, type: "compute:virtualmachine", name: name, account: sub, region: region,
                    nativeTags: nativeTags(d),
                    attributes: ["resourceGroup": rgName, "vmSize": rng.pick(EstateVocabulary.azureVMSizes)],
                    relations: [memberOf]), d)
                // Azure names OS disks after the VM with a generated suffix.
                var disks = ["\(name)_OsDisk_1_\(rng.hex(32))"]
                if rng.chance(0.4) { disks.append("\(name)-datadisk-0") }
                for diskName in disks {
                    let (dn, did) = unique(diskName) { provider("Microsoft.Compute/disks/\($0)") }
                    append(CloudResourceSpec(
                        provider: "azure", id: did, type: "compute:disk", name: dn, account: sub, region: region,
                        nativeTags: nativeTags(d, share: 0.3),
                        attributes: ["resourceGroup": rgName, "diskSizeGB": String(rng.pick([32, 64, 128, 256]))],
                        relations: [Relation(type: "AttachedTo", target: id), memberOf]), d)
                }
            case .database:
                let server = d.style.name(parts(d, role: "sql"), rng: &rng).dnsLabel()
                let db = rng.pick(["main", "app", d.app.name.replacingDashes(with: "_")])
                let (srv, id) = unique(server) { provider("Microsoft.Sql/servers/\($0)/databases/\(db)") }
                let name = "\(srv)/\(db)"
                append(CloudResourceSpec(
                    provider: "azure", id: id, type: "sql:database", name: name, account: sub, region: region,
                    nativeTags: nativeTags(d),
                    attributes: ["resourceGroup": rgName, "sku": rng.pick(["GP_Gen5_2", "BC_Gen5_4", "S1"])],
                    relations: [memberOf]), d)
            case .bucket:
                // Storage account names: 3-24 lower-case letters and digits, globally unique.
                let raw = d.style.name(parts(d, role: "st", number: rng.int(in: 1...99)), rng: &rng)
                let base = raw.restricted(lowercase: true, allowed: { $0.isASCII && ($0.isLetter || $0.isNumber) }, replacement: nil, maxLength: 22)
                let (name, id) = unique(base) { provider("Microsoft.Storage/storageAccounts/\($0)") }
                append(CloudResourceSpec(
                    provider: "azure", id: id, type: "storage:account", name: name, account: sub, region: region,
                    nativeTags: nativeTags(d, share: 0.8),
                    attributes: ["resourceGroup": rgName, "kind": "StorageV2", "sku": rng.pick(["Standard_LRS", "Standard_GRS"])],
                    relations: [memberOf]), d)
            case .loadBalancer:
                let base = d.style.name(parts(d, role: "lb"), rng: &rng).restricted(
                    lowercase: false, allowed: { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") },
                    replacement: "-", maxLength: 80)
                let (name, id) = unique(base) { provider("Microsoft.Network/loadBalancers/\($0)") }
                append(CloudResourceSpec(
                    provider: "azure", id: id, type: "network:loadbalancer", name: name, account: sub, region: region,
                    nativeTags: nativeTags(d, share: 0.7), attributes: ["resourceGroup": rgName, "sku": "Standard"],
                    relations: [memberOf]), d)
            case .function:
                let purpose = rng.pick(EstateVocabulary.functionPurposes)
                let base = d.style.name(parts(d, role: purpose), rng: &rng).dnsLabel(maxLength: 60)
                let (name, id) = unique(base) { provider("Microsoft.Web/sites/\($0)") }
                append(CloudResourceSpec(
                    provider: "azure", id: id, type: "web:site", name: name, account: sub, region: region,
                    nativeTags: nativeTags(d), attributes: ["resourceGroup": rgName, "kind": "functionapp"],
                    relations: [memberOf]), d)
            }
        }
    }

    /// One resource group per application and environment, named in the team's convention
    /// (stable across deployments, so it is emitted once).
    func resourceGroupName(_ d: Deployment) -> String {
        if d.noSignal { return "rg-\(stableHex("\(d.account.id)/\(d.app.name)/\(d.env)", 6))" }
        let app = d.app.name, env = d.team.envNameToken[d.env]!
        switch d.team.namingStyle {
        case .kebab: return "rg-\(app)-\(env)"
        case .snake: return "\(env)_\(app.replacingDashes(with: "_"))_rg"
        case .camel: return "\(app.split(separator: "-").enumerated().map { $0.offset == 0 ? String($0.element) : String($0.element).capitalizedFirst }.joined())\(env.capitalizedFirst)RG"
        case .upper: return "RG-\(app.uppercased())-\(env.uppercased())"
        case .opaque: return "rg-\(stableHex("\(d.team.name)/\(app)/\(d.env)", 6))"
        }
    }
}

/// Hex digits of FNV-1a 64 of `s`, repeated as needed: a stable id for things named once per
/// account (a VPC, a subnet) without drawing from the random stream.
private func stableHex(_ s: String, _ count: Int) -> String {
    var out = ""
    var salt: UInt64 = 0
    while out.count < count {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ salt
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        out += String(h, radix: 16).leftPadded(to: 16)
        salt &+= 1
    }
    return String(out.prefix(count))
}

extension String {
    fileprivate func leftPadded(to n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
