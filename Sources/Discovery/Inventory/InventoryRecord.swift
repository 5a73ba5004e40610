import TaggingAPI

/// One row of an inventory file (README.md, "Offline plan and evaluation"): the resource's identity and
/// where it lives, plus its tags. Files carry no attributes or relations.
public struct InventoryRecord: Sendable, Hashable {
    /// The fixed columns, in file order; tag columns (`tag:KEY`) follow them.
    public static let columns = ["provider", "id", "type", "name", "account", "region"]
    public static let tagColumnPrefix = "tag:"

    public var provider: String
    public var id: String
    public var type: String
    public var name: String?
    public var account: String?
    public var region: String?
    /// Tag key to value; a key absent from the map is absent from the resource.
    public var tags: [String: String]

    public init(
        provider: String, id: String, type: String, name: String? = nil, account: String? = nil, region: String? = nil,
        tags: [String: String] = [:]
    ) {
        self.provider = provider
        self.id = id
        self.type = type
        self.name = name
        self.account = account
        self.region = region
        self.tags = tags
    }

    /// A resource as a row; `tags` defaults to its native tags (pass e.g. native plus applied
    /// virtual tags for an export).
    public init(spec: CloudResourceSpec, tags: [String: String]? = nil) {
        self.init(
            provider: spec.provider, id: spec.id, type: spec.type, name: spec.name, account: spec.account,
            region: spec.region, tags: tags ?? spec.nativeTags ?? [:])
    }

    /// The resource a row describes; its tags become native tags.
    public var spec: CloudResourceSpec {
        CloudResourceSpec(
            provider: provider, id: id, type: type, name: name, account: account, region: region,
            nativeTags: tags.isEmpty ? nil : tags)
    }
}

/// A row that could not be used, and why; the other rows are kept.
public struct InventoryProblem: Sendable, Hashable, CustomStringConvertible {
    /// The file or ConfigMap key, as given to the reader.
    public var source: String
    /// 1-based line the row starts on (for JSON: the line its object starts on).
    public var line: Int
    public var reason: String

    public init(source: String, line: Int, reason: String) {
        self.source = source
        self.line = line
        self.reason = reason
    }

    public var description: String { "\(source) line \(line): \(reason)" }

    public var failure: DiscoveryFailure { DiscoveryFailure(scope: "\(source) line \(line)", message: reason) }
}

/// What reading an inventory gives: the good rows, in file order, and the rows left out.
public struct InventoryReadResult: Sendable, Hashable {
    public var records: [InventoryRecord]
    public var problems: [InventoryProblem]

    public init(records: [InventoryRecord] = [], problems: [InventoryProblem] = []) {
        self.records = records
        self.problems = problems
    }
}
