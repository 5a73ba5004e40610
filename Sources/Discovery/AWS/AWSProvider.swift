import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import TaggingAPI

/// Discovers an AWS account's resources over AWS's own APIs (no SDK): EC2 instances and volumes,
/// RDS instances, S3 buckets, ELBv2 load balancers, Lambda functions, ECS clusters and services, DynamoDB
/// tables, SQS queues, SNS topics, EKS and ElastiCache clusters listed directly (tagged or not), and every
/// other tagged resource through the Resource Groups Tagging API, in several regions at once.
///
/// It first asks STS who the credentials belong to (after assuming `roleARN` if set); if that fails
/// nothing can be found, so the stream throws. Otherwise every (type, region) is listed
/// concurrently within `Options.maxConcurrency`; a failure of one yields a `.failure` event and the
/// others go on.
public struct AWSProvider: DiscoveryProvider {
    public struct Options: Sendable {
        /// (type, region) listings running at once.
        public var maxConcurrency: Int
        /// Per-resource calls (tags, bucket locations) running at once within one listing.
        public var fanOut: Int
        /// The page size asked of list calls, clamped to each API's range; nil: each API's maximum.
        public var pageSize: Int?
        public var retry: AWSRetryPolicy
        /// Per HTTP request.
        public var requestTimeout: Duration

        public init(
            maxConcurrency: Int = 4, fanOut: Int = 8, pageSize: Int? = nil, retry: AWSRetryPolicy = .default,
            requestTimeout: Duration = .seconds(30)
        ) {
            self.maxConcurrency = max(1, maxConcurrency)
            self.fanOut = max(1, fanOut)
            self.pageSize = pageSize
            self.retry = retry
            self.requestTimeout = requestTimeout
        }
    }

    public let settings: AWSDiscoverySettings
    public let options: Options
    private let baseCredentials: any AWSCredentialsProvider
    private let httpClient: HTTPClient
    private let logger: Logger

    /// - Parameters:
    ///   - credentials: the base credentials (from the job's Secret, or `AWSDefaultCredentials`);
    ///     `settings.roleARN` is assumed with them.
    public init(
        settings: AWSDiscoverySettings, credentials: any AWSCredentialsProvider, httpClient: HTTPClient = AWSHTTP.shared,
        options: Options = Options(), logger: Logger = Logger(label: "vtag.discovery.aws")
    ) {
        self.settings = settings
        self.options = options
        self.baseCredentials = credentials
        self.httpClient = httpClient
        self.logger = logger
    }

    public var description: String {
        var text = "aws [\(settings.regions.joined(separator: ", "))]"
        if let role = settings.roleARN { text += " as \(role)" }
        if let endpoint = settings.endpointURL { text += " at \(endpoint)" }
        return text
    }

    /// The listers by type, and the short names a person may write in `services`.
    static let listers: [String: any AWSResourceLister] = [
        "ec2:instance": EC2InstanceLister(), "ec2:volume": EC2VolumeLister(), "rds:db": RDSInstanceLister(),
        "s3:bucket": S3BucketLister(), "elbv2:loadbalancer": ELBv2LoadBalancerLister(), "lambda:function": LambdaFunctionLister(),
        "ecs:cluster": ECSClusterLister(), "ecs:service": ECSServiceLister(), "dynamodb:table": DynamoDBTableLister(),
        "sqs:queue": SQSQueueLister(), "sns:topic": SNSTopicLister(), "eks:cluster": EKSClusterLister(),
        "elasticache:cluster": ElastiCacheClusterLister(), TaggingAPIResourceLister.type: TaggingAPIResourceLister(directTypes: []),
    ]
    static let aliases = AWSDiscoverySettings.serviceAliases

    public func discover() -> AsyncThrowingStream<DiscoveryEvent, any Error> {
        discoveryStream { try await run($0) }
    }

    /// Who the credentials (after assuming `roleARN`) belong to; the first call every run makes.
    public func callerIdentity() async throws -> AWSCallerIdentity {
        let (credentials, sts) = try prepare()
        return try await sts.callerIdentity(credentials)
    }

    func prepare() throws -> (any AWSCredentialsProvider, STS) {
        let regions = settings.regions.filter { !$0.isEmpty }
        guard let home = regions.first else {
            throw DiscoveryError.configuration("no regions to discover: set spec.aws.regions (e.g. [us-east-1, eu-west-1])")
        }
        for region in regions where !Self.looksLikeRegion(region) {
            throw DiscoveryError.configuration("\"\(region)\" is not an AWS region name (like us-east-1 or eu-west-1)")
        }
        let endpoints = try AWSEndpoints(overrideURL: settings.endpointURL)
        let transport = transport(endpoints)
        let connection = STSConnection(
            region: home, endpointURL: settings.endpointURL, httpClient: httpClient, retry: options.retry,
            timeout: options.requestTimeout)
        var credentials = baseCredentials
        if let role = settings.roleARN, !role.isEmpty {
            credentials = try AssumeRoleCredentialsProvider(
                base: baseCredentials, roleARN: role, externalID: settings.externalID, connection: connection, logger: logger)
        }
        return (credentials, STS(transport: transport, region: home))
    }

    func transport(_ endpoints: AWSEndpoints) -> AWSTransport {
        AWSTransport(
            http: httpClient, endpoints: endpoints, retry: options.retry, timeout: .nanoseconds(options.requestTimeout.nanoseconds),
            logger: logger)
    }

    /// Resolves `services` to listers; unknown names become failures (the rest still runs).
    private func selectedListers(_ continuation: AsyncThrowingStream<DiscoveryEvent, any Error>.Continuation) -> [any AWSResourceLister] {
        let requested = (settings.services?.isEmpty ?? true) ? AWSDiscoverySettings.allServices : settings.services!
        var seen = Set<String>()
        var chosen: [any AWSResourceLister] = []
        for name in requested {
            let type = Self.aliases[name] ?? name
            guard let lister = Self.listers[type] else {
                continuation.yield(
                    .failure(
                        DiscoveryFailure(
                            scope: "service \(name)",
                            message: "unknown AWS service \"\(name)\"; known: \(AWSDiscoverySettings.allServices.joined(separator: ", "))")))
                continue
            }
            if seen.insert(type).inserted { chosen.append(lister) }
        }
        // The Tagging API leaves the types listed directly to their listers.
        let direct = Set(chosen.map(\.type)).subtracting([TaggingAPIResourceLister.type])
        return chosen.map { $0 is TaggingAPIResourceLister ? TaggingAPIResourceLister(directTypes: direct) : $0 }
    }

    private func run(_ continuation: AsyncThrowingStream<DiscoveryEvent, any Error>.Continuation) async throws {
        let (credentials, sts) = try prepare()
        let regions = settings.regions.filter { !$0.isEmpty }
        let identity = try await sts.callerIdentity(credentials)
        logger.info(
            "discovering AWS resources",
            metadata: ["account": "\(identity.account)", "principal": "\(identity.arn)", "regions": "\(regions)"])

        let endpoints = try AWSEndpoints(overrideURL: settings.endpointURL)
        let client = AWSClient(transport: transport(endpoints), credentials: credentials)
        let context = AWSListContext(
            client: client, account: identity.account, pageSize: options.pageSize, fanOut: options.fanOut, regions: regions,
            emit: { continuation.yield(.resources($0)) }, report: { continuation.yield(.failure($0)) })

        struct Unit: Sendable {
            var lister: any AWSResourceLister
            var region: String
            var scope: String
        }
        var units: [Unit] = []
        for lister in selectedListers(continuation) {
            if lister.isGlobal {
                units.append(Unit(lister: lister, region: regions[0], scope: "\(lister.type) in \(regions.joined(separator: ", "))"))
            } else {
                for region in regions { units.append(Unit(lister: lister, region: region, scope: "\(lister.type) in \(region)")) }
            }
        }

        let logger = self.logger
        await withTaskGroup(of: Void.self) { group in
            var next = 0
            func start() {
                let unit = units[next]
                next += 1
                group.addTask {
                    do {
                        try await unit.lister.list(region: unit.region, context: context)
                    } catch is CancellationError {
                        return
                    } catch {
                        logger.warning("AWS listing failed", metadata: ["scope": "\(unit.scope)", "error": "\(error)"])
                        continuation.yield(.failure(DiscoveryFailure(scope: unit.scope, message: "\(error)")))
                    }
                }
            }
            while next < min(options.maxConcurrency, units.count) { start() }
            while await group.next() != nil {
                if next < units.count, !Task.isCancelled { start() }
            }
        }
        try Task.checkCancellation()
    }

    static func looksLikeRegion(_ s: String) -> Bool {
        // e.g. us-east-1, eu-central-2, us-gov-west-1, cn-north-1, ap-southeast-4
        let parts = s.split(separator: "-")
        guard parts.count >= 3, let last = parts.last, last.allSatisfy(\.isNumber) else { return false }
        return parts.dropLast().allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isLowercase && $0.isLetter } }
    }
}
