import CloudAPITestServers

/// An Azure estate for the Resource Graph test server: subscriptions, resource groups (tagged) and
/// resources in them, some tagged, some not.
struct AzureTestEstate {
    var rows: [AzureTestRow] = []

    static func groupID(_ subscription: String, _ group: String) -> String { "/subscriptions/\(subscription)/resourceGroups/\(group)" }

    /// `perSubscription` resources in each subscription, spread over `groups` resource groups.
    init(subscriptions: [String], groups: Int, perSubscription: Int) {
        let kinds = [
            ("Microsoft.Compute/virtualMachines", "microsoft.compute/virtualmachines"),
            ("Microsoft.Compute/disks", "microsoft.compute/disks"),
            ("Microsoft.Storage/storageAccounts", "microsoft.storage/storageaccounts"),
            ("Microsoft.Network/publicIPAddresses", "microsoft.network/publicipaddresses"),
        ]
        for subscription in subscriptions {
            rows.append(
                AzureTestRow(
                    id: "/subscriptions/\(subscription)", name: "sub-\(subscription.prefix(4))", type: "microsoft.resources/subscriptions",
                    location: "", resourceGroup: "", subscriptionId: subscription, tags: ["cost-center": "cc-\(subscription.prefix(4))"]))
            for g in 0..<groups {
                let group = "RG-Shop-\(g)"
                rows.append(
                    AzureTestRow(
                        id: Self.groupID(subscription, group), name: group, type: "microsoft.resources/subscriptions/resourcegroups",
                        location: "westeurope", resourceGroup: group.lowercased(), subscriptionId: subscription,
                        tags: ["team": "team-\(g)", "env": g % 2 == 0 ? "prod" : "dev"]))
            }
            for i in 0..<perSubscription {
                let (path, type) = kinds[i % kinds.count]
                let group = "RG-Shop-\(i % groups)"
                let name = "shop-\(i)"
                rows.append(
                    AzureTestRow(
                        id: "\(Self.groupID(subscription, group))/providers/\(path)/\(name)", name: name, type: type, location: "westeurope",
                        resourceGroup: group.lowercased(), subscriptionId: subscription,
                        tags: i % 4 == 3 ? nil : ["app": "shop", "component": "c\(i % 5)"]))
            }
        }
    }

    func rows(inSubscription subscription: String) -> [AzureTestRow] { rows.filter { $0.subscriptionId == subscription } }
}
