import TaggingAPI

/// One `ResourceSearchResult` of Cloud Asset Inventory `searchAllResources`, the fields kept.
struct GCPAsset: Decodable, Sendable {
    /// Full resource name, e.g. //compute.googleapis.com/projects/shop-prod/zones/europe-west1-b/instances/web-1.
    var name: String
    /// e.g. compute.googleapis.com/Instance.
    var assetType: String?
    /// projects/{PROJECT_NUMBER}.
    var project: String?
    var folders: [String]?
    var organization: String?
    var displayName: String?
    var location: String?
    var labels: [String: String]?
    var state: String?
    var createTime: String?
    var parentFullResourceName: String?
    var parentAssetType: String?

    static let projectAssetType = "cloudresourcemanager.googleapis.com/Project"

    /// The full resource name of a project, which is also the project asset's own name.
    static func projectResourceName(_ project: String) -> String { "//cloudresourcemanager.googleapis.com/\(project)" }

    /// `compute.googleapis.com/Instance` -> `compute:instance`, in the shape of the AWS types (`ec2:instance`).
    static func type(of assetType: String) -> String {
        let parts = assetType.split(separator: "/", maxSplits: 1)
        guard parts.count == 2 else { return assetType.lowercased() }
        let service = parts[0].split(separator: ".").first.map(String.init) ?? String(parts[0])
        return "\(service):\(parts[1].lowercased())"
    }

    /// The resource as discovery records it: placed in its project (by number) and location, labels as
    /// native tags, and its project as an `InProject` relation so it can inherit the project's labels.
    var spec: CloudResourceSpec {
        let projectNumber = project.map { String($0.dropFirst("projects/".count)) }
        var relations: [Relation] = []
        if let project, assetType != Self.projectAssetType {
            relations.append(Relation(type: "InProject", target: Self.projectResourceName(project)))
        }
        if let parent = parentFullResourceName, !parent.isEmpty, parent != project.map(Self.projectResourceName),
            parentAssetType != Self.projectAssetType, !parent.hasPrefix("//cloudresourcemanager.googleapis.com/")
        {
            relations.append(Relation(type: "ChildOf", target: parent))
        }
        var attributes: [String: String] = [:]
        if let assetType { attributes["assetType"] = assetType }
        if let state, !state.isEmpty { attributes["state"] = state }
        if let createTime, !createTime.isEmpty { attributes["createTime"] = createTime }
        if let folders, !folders.isEmpty { attributes["folders"] = folders.joined(separator: ",") }
        if let organization, !organization.isEmpty { attributes["organization"] = organization }
        if let projectID = Self.projectID(inName: name) { attributes["projectId"] = projectID }
        let shortName = name.split(separator: "/").last.map(String.init)
        return CloudResourceSpec(
            provider: "gcp", id: name, type: Self.type(of: assetType ?? "unknown/unknown"),
            name: displayName.flatMap { $0.isEmpty ? nil : $0 } ?? shortName, account: projectNumber,
            region: location.flatMap { $0.isEmpty ? nil : $0 }, nativeTags: labels ?? [:],
            attributes: attributes.isEmpty ? nil : attributes, relations: relations.isEmpty ? nil : relations)
    }

    /// The project id a resource name carries (`//compute.googleapis.com/projects/shop-prod/...`), if any.
    static func projectID(inName name: String) -> String? {
        let parts = name.split(separator: "/")
        guard let i = parts.firstIndex(of: "projects"), i + 1 < parts.count else { return nil }
        let id = parts[i + 1]
        return id.allSatisfy(\.isNumber) ? nil : String(id)
    }
}
