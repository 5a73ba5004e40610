import TaggingAPI

/// S3 buckets. Buckets are global: ListBuckets runs once per job, each bucket is attributed to its
/// region (from the listing's BucketRegion, else GetBucketLocation), and only buckets in the job's
/// regions are kept, so two jobs over different regions of one account do not both claim a bucket.
/// Tags come from GetBucketTagging; NoSuchTagSet means the bucket has none.
struct S3BucketLister: AWSResourceLister {
    let type = "s3:bucket"
    var isGlobal: Bool { true }
    /// Buckets handled (located, tagged, emitted) together: a page of the stream.
    static let chunk = 100

    private struct Bucket: Sendable {
        var name: String
        var creationDate: String?
        var region: String?
    }

    /// The region that answers ListBuckets: us-east-1 in the commercial partition, else the job's own.
    static func listingRegion(_ regions: [String]) -> String {
        guard let first = regions.first else { return "us-east-1" }
        return AWSPartition.name(for: first) == "aws" ? "us-east-1" : first
    }

    func list(region _: String, context: AWSListContext) async throws {
        let listing = Self.listingRegion(context.regions)
        let wanted = Set(context.regions)
        var token: String?
        repeat {
            var query: [(String, String)] = []
            if let token { query.append(("continuation-token", token)) }
            let call = AWSCall(service: .s3, operation: "ListBuckets", iamAction: "s3:ListAllMyBuckets", query: query)
            let page = try await context.client.restXML(call, region: listing)
            let buckets = page.items("Buckets").compactMap { node in
                node.string("Name").map { Bucket(name: $0, creationDate: node.string("CreationDate"), region: node.string("BucketRegion")) }
            }
            for start in stride(from: 0, to: buckets.count, by: Self.chunk) {
                let chunk = Array(buckets[start..<min(start + Self.chunk, buckets.count)])
                let specs = await boundedMap(chunk, limit: context.fanOut) { bucket in
                    await resource(bucket, listing: listing, wanted: wanted, context: context)
                }.compactMap { $0 }
                if !specs.isEmpty { context.emit(specs) }
            }
            token = page.string("ContinuationToken")
        } while token != nil
    }

    private func resource(_ bucket: Bucket, listing: String, wanted: Set<String>, context: AWSListContext) async -> CloudResourceSpec? {
        let region: String
        if let known = bucket.region, !known.isEmpty {
            region = known
        } else {
            do {
                let call = AWSCall(service: .s3, operation: "GetBucketLocation", query: [("location", "")], bucket: bucket.name)
                region = Self.region(fromLocationConstraint: try await context.client.restXML(call, region: listing).text)
            } catch let error as DiscoveryError where error.awsCall?.bucketRegion != nil {
                // Asked in the wrong region, S3 says which is right: that is the answer we wanted.
                region = error.awsCall!.bucketRegion!
            } catch {
                context.report(DiscoveryFailure(scope: "\(type) \(bucket.name)", message: "\(error)"))
                return nil
            }
        }
        guard wanted.contains(region) else { return nil }

        var tags: [String: String]?
        do {
            let call = AWSCall(service: .s3, operation: "GetBucketTagging", query: [("tagging", "")], bucket: bucket.name)
            tags = AWSResource.queryTags(try await context.client.restXML(call, region: region)["TagSet"])
        } catch let error as DiscoveryError where error.awsCall?.code == "NoSuchTagSet" {
            tags = [:]
        } catch {
            context.report(DiscoveryFailure(scope: "\(type) \(bucket.name) in \(region)", message: "\(error)"))
        }
        return AWSResource.spec(
            type: type, id: "arn:\(AWSPartition.name(for: region)):s3:::\(bucket.name)", name: bucket.name,
            account: context.account, region: region, tags: tags, attributes: ["creationDate": bucket.creationDate])
    }

    /// GetBucketLocation says nothing for us-east-1 and "EU" for the oldest eu-west-1 buckets.
    static func region(fromLocationConstraint value: String) -> String {
        switch value {
        case "": "us-east-1"
        case "EU": "eu-west-1"
        default: value
        }
    }
}
