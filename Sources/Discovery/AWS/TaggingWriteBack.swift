import AsyncHTTPClient
import Foundation
import Logging
import TaggingAPI

/// Tags to put onto one AWS resource.
public struct TagWrite: Sendable, Hashable {
    public var arn: String
    /// Where the Resource Groups Tagging API call for it goes (the resource's region).
    public var region: String
    public var tags: [String: String]

    public init(arn: String, region: String, tags: [String: String]) {
        self.arn = arn
        self.region = region
        self.tags = tags
    }
}

/// One TagResources call: the same tags onto at most 20 resources of one region.
public struct TagResourcesCall: Sendable, Hashable, CustomStringConvertible {
    public var region: String
    public var arns: [String]
    public var tags: [String: String]

    public var description: String {
        let tags = self.tags.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        return "TagResources \(region) {\(tags)} \(arns.joined(separator: " "))"
    }
}

/// A resource AWS would not tag, after the retries.
public struct TagWriteFailure: Sendable, Hashable, CustomStringConvertible {
    public var arn: String
    public var code: String
    public var message: String
    public var attempts: Int

    public var description: String { "tagging \(arn) failed after \(attempts) attempt\(attempts == 1 ? "" : "s"): \(code): \(message)" }
}

/// What writing came to: the writes AWS accepted, the resources it refused, the calls made.
public struct TagWriteOutcome: Sendable {
    public var written: [TagWrite] = []
    public var failed: [TagWriteFailure] = []
    public var calls = 0
}

/// Writes tags onto AWS resources through the Resource Groups Tagging API's TagResources: at most 20
/// ARNs per call (the API's limit), at most `callsPerSecond` calls, throttling and 5xx retried with
/// full-jitter backoff by the transport, and resources listed in an answer's FailedResourcesMap
/// retried (when the failure is transient) and then reported one by one.
public struct AWSTagWriter: Sendable {
    public struct Options: Sendable {
        public var maxARNsPerCall: Int
        public var callsPerSecond: Double
        public var retry: AWSRetryPolicy
        /// Attempts for a resource AWS lists in FailedResourcesMap with a transient error.
        public var failedResourceAttempts: Int
        public var requestTimeout: Duration

        public init(
            maxARNsPerCall: Int = 20, callsPerSecond: Double = 5, retry: AWSRetryPolicy = .default, failedResourceAttempts: Int = 3,
            requestTimeout: Duration = .seconds(30)
        ) {
            self.maxARNsPerCall = min(max(1, maxARNsPerCall), 20)
            self.callsPerSecond = max(0.1, callsPerSecond)
            self.retry = retry
            self.failedResourceAttempts = max(1, failedResourceAttempts)
            self.requestTimeout = requestTimeout
        }
    }

    static let service = AWSService(signingName: "tagging", endpointPrefix: "tagging", iamPrefix: "tag")

    let settings: AWSDiscoverySettings
    let credentials: any AWSCredentialsProvider
    let httpClient: HTTPClient
    let options: Options
    let logger: Logger

    /// `settings` gives the endpoint and the role to assume, as for discovery.
    public init(
        settings: AWSDiscoverySettings, credentials: any AWSCredentialsProvider, httpClient: HTTPClient = AWSHTTP.shared,
        options: Options = Options(), logger: Logger = Logger(label: "vtag.writeback.aws")
    ) {
        self.settings = settings
        self.credentials = credentials
        self.httpClient = httpClient
        self.options = options
        self.logger = logger
    }

    /// The calls `writes` take: resources with the same tags in the same region share calls, in
    /// chunks of `maxARNsPerCall`; sorted, so the same writes always make the same calls.
    public static func calls(for writes: [TagWrite], maxARNsPerCall: Int = 20) -> [TagResourcesCall] {
        struct Key: Hashable { var region: String; var tags: [String: String] }
        var groups: [Key: [String]] = [:]
        for w in writes where !w.tags.isEmpty { groups[Key(region: w.region, tags: w.tags), default: []].append(w.arn) }
        let order = groups.keys.sorted {
            ($0.region, $0.tags.sorted { $0.key < $1.key }.description) < ($1.region, $1.tags.sorted { $0.key < $1.key }.description)
        }
        var calls: [TagResourcesCall] = []
        for key in order {
            let arns = groups[key]!.sorted()
            for start in stride(from: 0, to: arns.count, by: maxARNsPerCall) {
                calls.append(TagResourcesCall(region: key.region, arns: Array(arns[start..<min(start + maxARNsPerCall, arns.count)]), tags: key.tags))
            }
        }
        return calls
    }

    /// Makes the calls. Throws only when nothing can be written at all (bad settings, credentials);
    /// a failed call or resource is reported in the outcome and the rest goes on.
    public func write(_ writes: [TagWrite]) async throws -> TagWriteOutcome {
        let provider = AWSProvider(settings: settings, credentials: credentials, httpClient: httpClient,
                                   options: .init(retry: options.retry, requestTimeout: options.requestTimeout), logger: logger)
        let (credentials, _) = try provider.prepare()
        let endpoints = try AWSEndpoints(overrideURL: settings.endpointURL)
        let transport = provider.transport(endpoints)
        let pacer = CallPacer(callsPerSecond: options.callsPerSecond)
        var outcome = TagWriteOutcome()
        var rng = SystemRandomNumberGenerator()

        var pending = Self.calls(for: writes, maxARNsPerCall: options.maxARNsPerCall)
        var attempts: [String: Int] = [:]
        var round = 0
        while !pending.isEmpty {
            round += 1
            if round > 1 { try await Task.sleep(for: options.retry.delay(beforeRetry: round - 1, using: &rng)) }
            var retry: [TagWrite] = []
            for call in pending {
                try Task.checkCancellation()
                try await pacer.wait()
                outcome.calls += 1
                for arn in call.arns { attempts[arn, default: 0] += 1 }
                let failedMap: [String: FailedResource]
                do {
                    failedMap = try await send(call, transport: transport, credentials: credentials)
                } catch let error as CancellationError {
                    throw error
                } catch {
                    // The whole call failed (after the transport's retries): every resource in it is reported.
                    let (code, message) = Self.describe(error)
                    for arn in call.arns { outcome.failed.append(TagWriteFailure(arn: arn, code: code, message: message, attempts: attempts[arn]!)) }
                    continue
                }
                for arn in call.arns {
                    guard let failure = failedMap[arn] else {
                        outcome.written.append(TagWrite(arn: arn, region: call.region, tags: call.tags))
                        continue
                    }
                    if failure.isTransient && attempts[arn]! < options.failedResourceAttempts {
                        retry.append(TagWrite(arn: arn, region: call.region, tags: call.tags))
                    } else {
                        outcome.failed.append(TagWriteFailure(
                            arn: arn, code: failure.errorCode ?? "HTTP \(failure.statusCode ?? 0)", message: failure.errorMessage ?? "no message",
                            attempts: attempts[arn]!))
                    }
                }
            }
            pending = Self.calls(for: retry, maxARNsPerCall: options.maxARNsPerCall)
        }
        return outcome
    }

    /// One entry of FailedResourcesMap.
    struct FailedResource: Decodable, Sendable {
        var statusCode: Int?
        var errorCode: String?
        var errorMessage: String?

        enum CodingKeys: String, CodingKey { case statusCode = "StatusCode", errorCode = "ErrorCode", errorMessage = "ErrorMessage" }

        /// InternalServiceException, throttling and 5xx pass; InvalidParameterException and 4xx do not.
        var isTransient: Bool {
            if let code = errorCode, code == "InternalServiceException" || AWSRetryPolicy.throttlingCodes.contains(code) { return true }
            return (statusCode ?? 0) >= 500
        }
    }

    struct TagResourcesAnswer: Decodable {
        var failedResourcesMap: [String: FailedResource]?
        enum CodingKeys: String, CodingKey { case failedResourcesMap = "FailedResourcesMap" }
    }

    func send(_ call: TagResourcesCall, transport: AWSTransport, credentials: any AWSCredentialsProvider) async throws -> [String: FailedResource] {
        let object: [String: Any] = ["ResourceARNList": call.arns, "Tags": call.tags]
        let body = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        let request = AWSCall(
            service: Self.service, operation: "TagResources", method: "POST", path: "/",
            headers: [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "ResourceGroupsTaggingAPI_20170126.TagResources")],
            body: Array(body))
        let client = AWSClient(transport: transport, credentials: credentials)
        let answer = try await client.restJSON(TagResourcesAnswer.self, request, region: call.region)
        return answer.failedResourcesMap ?? [:]
    }

    static func describe(_ error: any Error) -> (code: String, message: String) {
        if let e = (error as? DiscoveryError)?.awsCall { return (e.code ?? e.kind.rawValue, "\(e)") }
        return ("Error", "\(error)")
    }
}
