/// Requests the test server answered, counted by what they did (see `KubeAPITestServer.requestTally`).
public struct RequestTally: Sendable {
    public struct Key: Sendable, Hashable, CustomStringConvertible {
        /// get, list, watch, create, update, patch, delete; "" for non-resource paths.
        public var verb: String
        /// "cloudresources", or "cloudresources/status" for a subresource.
        public var resource: String
        public var namespace: String?
        public var status: Int

        init(_ r: RecordedRequest) {
            verb = r.verb
            resource = r.subresource.map { "\(r.resource)/\($0)" } ?? r.resource
            namespace = r.namespace
            status = r.responseStatus
        }

        public var description: String { "\(verb) \(resource)" + (status >= 400 ? " (\(status))" : "") }
    }

    public var counts: [Key: Int]

    /// The requests made in `namespace`.
    public func total(namespace: String) -> Int {
        counts.filter { $0.key.namespace == namespace }.values.reduce(0, +)
    }

    /// Counts in `namespace` by verb and resource (and failing status), most first.
    public func breakdown(namespace: String) -> [(what: String, count: Int)] {
        var merged: [String: Int] = [:]
        for (key, n) in counts where key.namespace == namespace { merged[key.description, default: 0] += n }
        return merged.map { ($0.key, $0.value) }.sorted { $0.count > $1.count || ($0.count == $1.count && $0.what < $1.what) }
    }
}
