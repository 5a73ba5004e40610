import TaggingAPI

/// One row of a Resource Graph `resources` or `resourcecontainers` query (objectArray format), the
/// columns the queries project.
struct AzureResourceRow: Decodable, Sendable {
    var id: String
    var name: String?
    /// e.g. microsoft.compute/virtualmachines, microsoft.resources/subscriptions/resourcegroups.
    var type: String?
    var location: String?
    var resourceGroup: String?
    var subscriptionId: String?
    var tags: [String: String]?
    var kind: String?
    var managedBy: String?
    var sku: SKU?

    struct SKU: Decodable, Sendable {
        var name: String?
        var tier: String?
    }

    static let resourceGroupType = "microsoft.resources/subscriptions/resourcegroups"
    static let subscriptionType = "microsoft.resources/subscriptions"

    /// Resource ids are case-insensitive and Resource Graph lowercases `resourceGroup`; one spelling of a
    /// group's id, used by the group itself and by its members' relations, keeps the two joined.
    static func resourceGroupID(subscription: String, group: String) -> String {
        "/subscriptions/\(subscription.lowercased())/resourceGroups/\(group.lowercased())"
    }

    static func subscriptionID(_ subscription: String) -> String { "/subscriptions/\(subscription.lowercased())" }

    /// `microsoft.compute/virtualmachines` -> `compute:virtualmachine`, `microsoft.sql/servers/databases` -> `sql:database`.
    static func type(of armType: String) -> String {
        let parts = armType.lowercased().split(separator: "/")
        guard parts.count >= 2 else { return armType.lowercased() }
        var namespace = String(parts[0])
        if namespace.hasPrefix("microsoft.") { namespace.removeFirst("microsoft.".count) }
        return "\(namespace):\(singular(String(parts[parts.count - 1])))"
    }

    static func singular(_ word: String) -> String {
        if word.hasSuffix("sses") || word.hasSuffix("xes") { return String(word.dropLast(2)) }
        if word.hasSuffix("ies") { return String(word.dropLast(3)) + "y" }
        if word.hasSuffix("s"), !word.hasSuffix("ss") { return String(word.dropLast()) }
        return word
    }

    /// The resource as discovery records it: tags as native tags, its resource group and subscription as
    /// relations (`InResourceGroup`, `InSubscription`) so it can inherit what they carry.
    var spec: CloudResourceSpec? {
        let armType = (type ?? "").lowercased()
        guard let subscription = subscriptionId, !subscription.isEmpty else { return nil }
        var id = self.id
        var relations: [Relation] = []
        switch armType {
        case Self.subscriptionType:
            id = Self.subscriptionID(subscription)
        case Self.resourceGroupType:
            id = Self.resourceGroupID(subscription: subscription, group: name ?? resourceGroup ?? "")
            relations.append(Relation(type: "InSubscription", target: Self.subscriptionID(subscription)))
        default:
            if let group = resourceGroup, !group.isEmpty {
                relations.append(Relation(type: "InResourceGroup", target: Self.resourceGroupID(subscription: subscription, group: group)))
            }
            relations.append(Relation(type: "InSubscription", target: Self.subscriptionID(subscription)))
        }
        var attributes: [String: String] = ["armType": armType]
        if let group = resourceGroup, !group.isEmpty { attributes["resourceGroup"] = group }
        if let kind, !kind.isEmpty { attributes["kind"] = kind }
        if let sku = sku?.name, !sku.isEmpty { attributes["sku"] = sku }
        if let managedBy, !managedBy.isEmpty { attributes["managedBy"] = managedBy }
        return CloudResourceSpec(
            provider: "azure", id: id, type: Self.type(of: armType), name: name, account: subscription,
            region: location.flatMap { $0.isEmpty ? nil : $0 }, nativeTags: tags ?? [:], attributes: attributes,
            relations: relations.isEmpty ? nil : relations)
    }
}
