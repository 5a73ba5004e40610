import Foundation

/// Where a service's requests go: AWS's regional endpoints, or one AWS-compatible endpoint for all
/// services (a moto server, LocalStack), as `endpointURL` asks.
public struct AWSEndpoints: Sendable, Hashable {
    /// scheme://host[:port] plus an optional base path, when every service is served at one place.
    public let overrideURL: String?
    private let override: ParsedURL?

    struct ParsedURL: Sendable, Hashable {
        var scheme: String
        /// host[:port] exactly as the Host header must carry it.
        var authority: String
        /// Without a trailing slash; empty for the root.
        var basePath: String
    }

    /// Resolved place for one request.
    struct Target: Sendable {
        var scheme: String
        var authority: String
        /// Prefix of every path (an override's base path), without a trailing slash.
        var basePath: String
        var url: String { "\(scheme)://\(authority)\(basePath)" }
    }

    /// - Throws: `DiscoveryError.configuration` when the override is not an http(s) URL.
    public init(overrideURL: String? = nil) throws(DiscoveryError) {
        guard let raw = overrideURL?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else {
            self.overrideURL = nil
            self.override = nil
            return
        }
        guard let comps = URLComponents(string: raw), let scheme = comps.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = comps.host, !host.isEmpty
        else {
            throw DiscoveryError.configuration(
                "endpointURL \"\(raw)\" is not an http(s) URL; use e.g. http://moto.testing.svc:5000 or https://vpce-123.ec2.us-east-1.vpce.amazonaws.com")
        }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        let authority = comps.port.map { "\(hostPart):\($0)" } ?? hostPart
        var base = comps.percentEncodedPath
        while base.hasSuffix("/") { base.removeLast() }
        self.overrideURL = raw
        self.override = ParsedURL(scheme: scheme, authority: authority, basePath: base)
    }

    var isOverridden: Bool { override != nil }

    /// The endpoint for a service in a region. S3 requests for a bucket go to the bucket's
    /// virtual host on AWS (path style for names with dots, and always on an override).
    func target(_ service: AWSService, region: String, bucket: String? = nil) -> Target {
        if let o = override { return Target(scheme: o.scheme, authority: o.authority, basePath: o.basePath) }
        let suffix = AWSPartition.dnsSuffix(for: region)
        var host = "\(service.endpointPrefix).\(region).\(suffix)"
        if service.isS3, let bucket, !bucket.contains(".") { host = "\(bucket).\(host)" }
        return Target(scheme: "https", authority: host, basePath: "")
    }

    /// Whether a bucket request's path must name the bucket (path style).
    func bucketInPath(_ bucket: String) -> Bool { override != nil || bucket.contains(".") }
}
