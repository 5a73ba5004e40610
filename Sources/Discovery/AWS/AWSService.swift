/// An AWS service as the wire protocols name it.
struct AWSService: Sendable, Hashable {
    /// The name in the SigV4 credential scope.
    var signingName: String
    /// The first label of the regional endpoint host.
    var endpointPrefix: String
    /// The prefix of IAM action names, for "not authorized to call rds:DescribeDBInstances".
    var iamPrefix: String

    static let ec2 = AWSService(signingName: "ec2", endpointPrefix: "ec2", iamPrefix: "ec2")
    static let rds = AWSService(signingName: "rds", endpointPrefix: "rds", iamPrefix: "rds")
    static let s3 = AWSService(signingName: "s3", endpointPrefix: "s3", iamPrefix: "s3")
    static let elbv2 = AWSService(
        signingName: "elasticloadbalancing", endpointPrefix: "elasticloadbalancing", iamPrefix: "elasticloadbalancing")
    static let lambda = AWSService(signingName: "lambda", endpointPrefix: "lambda", iamPrefix: "lambda")
    static let sts = AWSService(signingName: "sts", endpointPrefix: "sts", iamPrefix: "sts")

    var isS3: Bool { signingName == "s3" }
}

/// AWS partitions: the ARN prefix and DNS suffix a region belongs to.
enum AWSPartition {
    static func name(for region: String) -> String {
        if region.hasPrefix("cn-") { return "aws-cn" }
        if region.hasPrefix("us-gov-") { return "aws-us-gov" }
        return "aws"
    }

    static func dnsSuffix(for region: String) -> String {
        region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
    }
}
