import Foundation
import KubeCore

/// SelfSubjectAccessReview ("may I?") and SelfSubjectReview ("who am I?"): created, answered, never stored.
enum SelfReview {
    static func answer(_ req: APIRequest, _ r: APIServerCore.Route, verb: String, user: UserInfo,
                       options: KubeAPITestServer.Options, store: ClusterStore) -> APIAnswer? {
        let kind: String
        switch (r.group, r.plural) {
        case ("authorization.k8s.io", "selfsubjectaccessreviews"): kind = "SelfSubjectAccessReview"
        case ("authentication.k8s.io", "selfsubjectreviews"): kind = "SelfSubjectReview"
        default: return nil
        }
        guard verb == "create", r.version == "v1", r.name == nil else {
            return .response(status: 405, headers: [], body: APIError.methodNotAllowed(req.method).body())
        }
        guard let body = try? JSONValue.parseFast(req.body), case .object = body else {
            return .response(status: 400, headers: [], body: APIError.badRequest("the object provided is unrecognized (must be of type \(kind))").body())
        }
        let apiVersion = "\(r.group)/v1"
        let now = KubeTime.format(Date())
        var out: JSONValue = ["kind": .string(kind), "apiVersion": .string(apiVersion)]
        if kind == "SelfSubjectReview" {
            out["metadata"] = ["creationTimestamp": .string(now)]
            out["status"] = ["userInfo": ["username": .string(user.name), "groups": .array(user.groups.map(JSONValue.string))]]
            return .response(status: 201, headers: [], body: Array(out.compactData()))
        }
        // Go drops empty strings (omitempty) from the echoed spec.
        var attributes = body[path: "spec", "resourceAttributes"]?.objectValue ?? [:]
        attributes = attributes.filter { $0.value != "" }
        let spec: JSONValue = ["resourceAttributes": .object(attributes)]
        var decision = RBACDecision(allowed: true, reason: nil)
        if options.authorization == .rbac {
            func attr(_ k: String) -> String? { attributes[k]?.stringValue }
            let a = AccessAttributes(verb: attr("verb") ?? "", group: attr("group") ?? "", resource: attr("resource") ?? "",
                                     subresource: attr("subresource"), namespace: attr("namespace"), name: attr("name"))
            decision = store.state.withLock { $0.authorize(user, a) }
        }
        var status: JSONValue = ["allowed": .bool(decision.allowed)]
        if let reason = decision.reason { status["reason"] = .string(reason) }
        out["spec"] = spec
        out["status"] = status
        let manager = req.headers["user-agent"].map { String($0.prefix { $0 != "/" }) } ?? "unknown"
        let mf = ManagedFields.recordUpdate(old: nil, new: ["spec": spec], manager: manager, subresource: nil,
                                            apiVersion: apiVersion, time: now, schema: nil)
        out["metadata"] = ["managedFields": mf ?? .array([])]
        return .response(status: 201, headers: [], body: Array(out.compactData()))
    }
}
