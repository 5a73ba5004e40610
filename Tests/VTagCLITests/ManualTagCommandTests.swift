import Foundation
import K8sClient
import KubeTestServer
import TaggingAPI
import Testing
import VTagTestSupport
@testable import VTagCLI

@Suite("kubectl vtag tag / untag")
struct ManualTagCommandTests {
    @Test("tag sets manualTags by server-side apply as kubectl-vtag; discovery's merge patches of spec leave them alone")
    func tagSurvivesDiscovery() async throws {
        try await TestCluster.with { c in
            let res = try await c.resource("i-1", native: ["env": "prod"])
            let name = try #require(res.metadata.name)
            c.server.clearRequests()
            let r = await c.cli(["tag", name, "team=payments", "owner=ana@example.com"])
            #expect(r.error == nil, "\(message(r.error))")
            #expect(r.out.contains("manual tags now owner=ana@example.com, team=payments"), "\(r.out)")
            let apply = try #require(c.server.requests().first { $0.method == "PATCH" })
            #expect(apply.headers["content-type"] == "application/apply-patch+yaml")
            #expect(apply.query["fieldManager"] == VTag.FieldManager.cli)

            // Discovery rewrites spec the way DiscoveryRunExecutor does: a merge patch without manualTags.
            let api = c.api(CloudResource.self)
            _ = try await api.patch(name, .merge(["spec": ["name": "renamed", "nativeTags": ["env": "staging"]]]),
                                    PatchParams(fieldManager: VTag.FieldManager.discovery))
            let after = try await api.get(name)
            #expect(after.spec.name == "renamed")
            #expect(after.spec.manualTags == ["team": "payments", "owner": "ana@example.com"])
            let raw = try #require(c.server.object(group: VTag.group, plural: "cloudresources", namespace: c.namespace, name: name))
            let entries = raw[path: "metadata", "managedFields"]?.arrayValue ?? []
            let mine = try #require(entries.first { $0["manager"]?.stringValue == VTag.FieldManager.cli && $0["operation"]?.stringValue == "Apply" })
            #expect(mine[path: "fieldsV1", "f:spec", "f:manualTags"] != nil, "kubectl-vtag owns spec.manualTags")

            // A second tag keeps the first ones (the apply holds the whole set).
            let more = await c.cli(["tag", name, "team=billing"])
            #expect(more.error == nil, "\(message(more.error))")
            #expect(try await api.get(name).spec.manualTags == ["team": "billing", "owner": "ana@example.com"])

            let policy = try RBACPolicy.load()
            for request in c.rbacRequests() {
                #expect(policy.clusterRole("vtag-editor", allows: request), "vtag-editor may not \(request)")
            }
        }
    }

    @Test("untag sets the empty value (the key is removed from the resource); --reset deletes the entry")
    func untag() async throws {
        try await TestCluster.with { c in
            let name = try #require(try await c.resource("i-2").metadata.name)
            let api = c.api(CloudResource.self)
            _ = await c.cli(["tag", name, "team=payments", "env=prod"])
            let r = await c.cli(["untag", name, "team"])
            #expect(r.error == nil, "\(message(r.error))")
            #expect(r.out.contains("env=prod, team (removed)"), "\(r.out)")
            #expect(try await api.get(name).spec.manualTags == ["team": "", "env": "prod"])
            let reset = await c.cli(["untag", name, "team", "env", "--reset"])
            #expect(reset.error == nil, "\(message(reset.error))")
            #expect((try await api.get(name).spec.manualTags ?? [:]).isEmpty)
        }
    }

    @Test("-l tags every selected resource, and a selector matching nothing says so")
    func selector() async throws {
        try await TestCluster.with { c in
            try await c.resource("i-3")
            try await c.resource("vol-1", type: "ec2:volume")
            let r = await c.cli(["tag", "-l", "vtag.dev/type=ec2.instance", "cost-center=cc-7"])
            #expect(r.error == nil, "\(message(r.error))")
            let items = try await c.api(CloudResource.self).list().items
            #expect(items.filter { $0.spec.manualTags?["cost-center"] == "cc-7" }.map(\.spec.id) == ["i-3"])
            let none = await c.cli(["untag", "-l", "vtag.dev/type=s3.bucket", "team"])
            #expect(message(none.error).contains("no CloudResource in namespace default matches -l vtag.dev/type=s3.bucket"))
        }
    }

    @Test("bad arguments are refused before anything is sent", arguments: [
        (["tag", "res"], "at least one KEY=VALUE"),
        (["tag", "team=x"], "name the CloudResource first"),
        (["tag", "res", "team"], "is not KEY=VALUE"),
        (["tag", "res", "team="], "empty value"),
        (["untag", "res"], "at least one KEY"),
        (["untag", "res", "team=x"], "untag takes keys"),
    ])
    func badArguments(args: [String], expected: String) {
        do {
            _ = try KubectlVTag.parseAsRoot(args)
            Issue.record("\(args) was accepted")
        } catch {
            #expect(KubectlVTag.message(for: error).contains(expected), "\(KubectlVTag.message(for: error))")
        }
    }

    @Test("a missing resource is named")
    func notFound() async throws {
        try await TestCluster.with { c in
            let r = await c.cli(["tag", "nope", "team=x", "-n", "kube-public"])
            #expect(message(r.error).contains("CloudResource \"nope\" not found in namespace kube-public"), "\(message(r.error))")
        }
    }
}
