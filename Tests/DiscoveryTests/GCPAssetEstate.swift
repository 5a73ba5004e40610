import CloudAPITestServers

/// A GCP estate for the Cloud Asset test server: per project a project asset (with labels) and
/// instances, disks and buckets, some labelled, some not.
struct GCPTestEstate {
    struct Project {
        var id: String
        var number: String
        var labels: [String: String]
    }

    var projects: [Project]
    var assets: [GCPTestAsset] = []

    static func projectName(_ number: String) -> String { "//cloudresourcemanager.googleapis.com/projects/\(number)" }

    /// `perProject` resources below each project (and the project itself).
    init(projects: [Project], perProject: Int) {
        self.projects = projects
        let kinds = [
            ("compute.googleapis.com/Instance", "compute", "zones/europe-west1-b/instances", "europe-west1-b"),
            ("compute.googleapis.com/Disk", "compute", "zones/europe-west1-b/disks", "europe-west1-b"),
            ("storage.googleapis.com/Bucket", "storage", "buckets", "europe-west1"),
        ]
        for project in projects {
            assets.append(
                GCPTestAsset(
                    name: Self.projectName(project.number), assetType: "cloudresourcemanager.googleapis.com/Project",
                    project: "projects/\(project.number)", displayName: project.id, location: "global", labels: project.labels,
                    parentFullResourceName: "//cloudresourcemanager.googleapis.com/folders/2001", folders: ["folders/2001"]))
            for i in 0..<perProject {
                let (type, service, path, location) = kinds[i % kinds.count]
                let short = "\(project.id)-\(service)-\(i)"
                let name = service == "storage"
                    ? "//storage.googleapis.com/\(short)"
                    : "//compute.googleapis.com/projects/\(project.id)/\(path)/\(short)"
                // Every third resource unlabelled: it must still be found.
                let labels = i % 3 == 2 ? [:] : ["app": "shop", "component": "c\(i % 7)"]
                assets.append(
                    GCPTestAsset(
                        name: name, assetType: type, project: "projects/\(project.number)", displayName: short, location: location,
                        labels: labels, parentFullResourceName: Self.projectName(project.number)))
            }
        }
    }

    /// The assets of some projects, as a scope's search returns them.
    func assets(inProjects numbers: Set<String>) -> [GCPTestAsset] {
        assets.filter { numbers.contains(String($0.project.dropFirst("projects/".count))) }
    }
}
