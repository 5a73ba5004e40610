import Foundation
import KubeCore

/// Discovery documents (`/api`, `/apis`, `/apis/g/v`, `/version`): enough for clients and kubectl to find kinds.
enum Discovery {
    static func version() -> JSONValue {
        ["major": "1", "minor": "36", "gitVersion": "v1.36.2-vtag-test", "gitCommit": "0000000000000000000000000000000000000000",
         "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.25", "compiler": "gc",
         "platform": "linux/amd64", "emulationMajor": "1", "emulationMinor": "36", "minCompatibilityMajor": "1", "minCompatibilityMinor": "35"]
    }

    static func groupVersions(_ c: Cluster) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for t in c.types.values where !t.group.isEmpty {
            for v in t.versions where !(out[t.group]?.contains(v.name) ?? false) {
                out[t.group, default: []].append(v.name)
            }
        }
        return out
    }

    static func groupDoc(_ name: String, _ versions: [String]) -> JSONValue {
        let vs: [JSONValue] = versions.map { ["groupVersion": .string("\(name)/\($0)"), "version": .string($0)] }
        return ["name": .string(name), "versions": .array(vs), "preferredVersion": vs.first ?? .null]
    }

    static func groupList(_ c: Cluster) -> JSONValue {
        let gv = groupVersions(c)
        return ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(gv.keys.sorted().map { groupDoc($0, gv[$0]!) })]
    }

    static func group(_ c: Cluster, _ g: String) -> JSONValue? {
        guard let vs = groupVersions(c)[g] else { return nil }
        var d = groupDoc(g, vs)
        d["kind"] = "APIGroup"
        d["apiVersion"] = "v1"
        return d
    }

    static func resourceList(_ c: Cluster, group: String, version: String) -> JSONValue? {
        let ts = c.types.values.filter { $0.group == group && $0.version(version) != nil }.sorted { $0.plural < $1.plural }
        guard !ts.isEmpty else { return nil }
        var resources: [JSONValue] = []
        for t in ts {
            var r: JSONValue = ["name": .string(t.plural), "singularName": .string(t.singular), "namespaced": .bool(t.namespaced),
                                "kind": .string(t.kind), "verbs": .array(t.verbs.map(JSONValue.string))]
            if !t.shortNames.isEmpty { r["shortNames"] = .array(t.shortNames.map(JSONValue.string)) }
            if !t.categories.isEmpty { r["categories"] = .array(t.categories.map(JSONValue.string)) }
            resources.append(r)
            if t.hasStatus(version) {
                resources.append(["name": .string("\(t.plural)/status"), "singularName": "", "namespaced": .bool(t.namespaced),
                                  "kind": .string(t.kind), "verbs": ["get", "patch", "update"]])
            }
        }
        return ["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(group.isEmpty ? version : "\(group)/\(version)"),
                "resources": .array(resources)]
    }
}
