@testable import Discovery
import Testing

/// Resources found only through the Tagging API are typed and named from their ARNs, in the shape the
/// direct listers use, so a type listed directly is recognised and left to its lister.
@Suite struct AWSARNTests {
    @Test(arguments: [
        ("arn:aws:ec2:us-east-1:123456789012:instance/i-0abc", "ec2:instance", "i-0abc"),
        ("arn:aws:s3:::payments-logs", "s3:bucket", "payments-logs"),
        ("arn:aws:sqs:eu-west-1:123456789012:jobs", "sqs:queue", "jobs"),
        ("arn:aws:sns:eu-west-1:123456789012:alerts", "sns:topic", "alerts"),
        ("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188", "elbv2:loadbalancer", "web"),
        ("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/classic-web", "elb:loadbalancer", "classic-web"),
        ("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/73e2d6bc24d8a067", "elbv2:targetgroup", "73e2d6bc24d8a067"),
        ("arn:aws:rds:us-east-1:123456789012:db:ledger", "rds:db", "ledger"),
        ("arn:aws:lambda:us-east-1:123456789012:function:settle", "lambda:function", "settle"),
        ("arn:aws:ecs:us-east-1:123456789012:service/apps/api", "ecs:service", "api"),
        ("arn:aws:ecs:us-east-1:123456789012:task-definition/api:3", "ecs:task-definition", "api:3"),
        ("arn:aws:dynamodb:us-east-1:123456789012:table/orders", "dynamodb:table", "orders"),
        ("arn:aws:elasticache:us-east-1:123456789012:cluster:sessions", "elasticache:cluster", "sessions"),
        ("arn:aws:states:us-east-1:123456789012:stateMachine:settle-flow", "states:statemachine", "settle-flow"),
        ("arn:aws:iam::123456789012:role/vtag-read-only", "iam:role", "vtag-read-only"),
    ])
    func typeAndName(arn: String, type: String, name: String) throws {
        let parsed = try #require(AWSARN(arn))
        #expect(parsed.type == type)
        #expect(parsed.name == name)
    }

    @Test func notAnARN() {
        #expect(AWSARN("i-0abc") == nil)
        #expect(AWSARN("arn:aws::us-east-1:1:thing") == nil)
    }
}
