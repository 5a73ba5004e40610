import Foundation
import Testing

@testable import Discovery

@Suite("AWS wire details: errors, retries, endpoints, XML")
struct AWSWireTests {
    private let call = AWSCall(service: .rds, operation: "DescribeDBInstances")

    private func error(_ status: Int, _ body: String, header: String? = nil) -> AWSCallFailure {
        AWSTransport.errorFromAnswer(
            status: status, body: .init(data: Data(body.utf8), errorType: header), call: call, region: "eu-west-1", attempts: 1)
    }

    @Test func readsEveryErrorShape() {
        let ec2 = error(400, "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>slow down</Message></Error></Errors></Response>")
        #expect(ec2.code == "RequestLimitExceeded" && ec2.kind == .throttled && ec2.isRetryable)

        let query = error(403, "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no</Message></Error></ErrorResponse>")
        #expect(query.kind == .notAuthorized)
        #expect("\(query)".hasPrefix("not authorized to call rds:DescribeDBInstances in eu-west-1: AccessDenied: no"))

        let s3 = error(404, "<?xml version=\"1.0\"?><Error><Code>NoSuchTagSet</Code><Message>none</Message></Error>")
        #expect(s3.code == "NoSuchTagSet" && s3.kind == .serviceError && !s3.isRetryable)

        let json = error(403, #"{"__type":"com.amazon.coral#UnrecognizedClientException","message":"bad token"}"#)
        #expect(json.code == "UnrecognizedClientException" && json.kind == .credentialsRejected)
        #expect("\(json)".hasPrefix("credentials rejected by rds in eu-west-1: UnrecognizedClientException: bad token"))

        let header = error(429, #"{"Message":"Rate exceeded"}"#, header: "TooManyRequestsException:http://internal.amazon.com/")
        #expect(header.code == "TooManyRequestsException" && header.kind == .throttled)

        let wrongRegion = error(
            400, "<Error><Code>AuthorizationHeaderMalformed</Code><Message>wrong region</Message><Region>ap-south-1</Region></Error>")
        #expect(wrongRegion.bucketRegion == "ap-south-1" && !wrongRegion.isRetryable)

        let html = error(502, "<html><body>Bad gateway</body>")
        #expect(html.kind == .unavailable && html.isRetryable)
    }

    @Test func backoffIsFullJitterUnderAGrowingCappedCeiling() {
        let policy = AWSRetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(100), maxDelay: .seconds(2))
        #expect(policy.ceiling(beforeRetry: 1) == .milliseconds(100))
        #expect(policy.ceiling(beforeRetry: 2) == .milliseconds(200))
        #expect(policy.ceiling(beforeRetry: 4) == .milliseconds(800))
        #expect(policy.ceiling(beforeRetry: 9) == .seconds(2))
        var rng = SystemRandomNumberGenerator()
        var delays: [Duration] = []
        for _ in 0..<200 { delays.append(policy.delay(beforeRetry: 3, using: &rng)) }
        #expect(delays.allSatisfy { $0 >= .zero && $0 <= .milliseconds(400) })
        // Full jitter spreads over the whole interval, not around its top.
        #expect(delays.contains { $0 < .milliseconds(100) })
        #expect(delays.contains { $0 > .milliseconds(300) })
    }

    @Test func endpointsResolveRegionallyOrToTheOverride() throws {
        let aws = try AWSEndpoints()
        #expect(aws.target(.ec2, region: "eu-west-1").url == "https://ec2.eu-west-1.amazonaws.com")
        #expect(aws.target(.elbv2, region: "us-east-2").url == "https://elasticloadbalancing.us-east-2.amazonaws.com")
        #expect(aws.target(.s3, region: "eu-west-1", bucket: "logs").url == "https://logs.s3.eu-west-1.amazonaws.com")
        #expect(aws.target(.s3, region: "eu-west-1", bucket: "my.logs").url == "https://s3.eu-west-1.amazonaws.com")
        #expect(aws.bucketInPath("my.logs") && !aws.bucketInPath("logs"))
        #expect(aws.target(.sts, region: "cn-north-1").url == "https://sts.cn-north-1.amazonaws.com.cn")

        let moto = try AWSEndpoints(overrideURL: "http://127.0.0.1:5000/")
        #expect(moto.target(.lambda, region: "eu-west-1").url == "http://127.0.0.1:5000")
        #expect(moto.bucketInPath("logs"))

        let error = #expect(throws: DiscoveryError.self) { try AWSEndpoints(overrideURL: "moto:5000") }
        #expect(error?.description.contains("is not an http(s) URL") == true)
    }

    @Test func regionNamesAreChecked() {
        for good in ["us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1", "ap-southeast-4"] {
            #expect(AWSProvider.looksLikeRegion(good), "\(good)")
        }
        for bad in ["", "us-east", "US-EAST-1", "useast1", "eu-west-1a"] {
            #expect(!AWSProvider.looksLikeRegion(bad), "\(bad)")
        }
    }

    @Test func bucketLocationConstraints() {
        #expect(S3BucketLister.region(fromLocationConstraint: "") == "us-east-1")
        #expect(S3BucketLister.region(fromLocationConstraint: "EU") == "eu-west-1")
        #expect(S3BucketLister.region(fromLocationConstraint: "ap-south-1") == "ap-south-1")
    }

    @Test func xmlTreeReadsNestedListsAndRejectsGarbage() throws {
        let doc = """
            <R xmlns="x"><set><item><key>a&amp;b</key><value> v </value></item><item><key>c</key><value/></item></set></R>
            """
        let tree = try XMLTree.parse(Data(doc.utf8)).get()
        #expect(AWSResource.ec2Tags(XMLTree(name: "x", text: "", children: [tree.child("set")!.renamed("tagSet")])) == ["a&b": " v ", "c": ""])
        guard case .failure(let failure) = XMLTree.parse(Data("<a><b></a>".utf8)) else {
            Issue.record("malformed XML parsed")
            return
        }
        #expect("\(failure)".contains("malformed XML"))
    }
}

extension XMLTree {
    fileprivate func renamed(_ name: String) -> XMLTree { XMLTree(name: name, text: text, children: children) }
}
