import Foundation
import K8sClient
import KubeCore
import KubeTestServer
import Reconcilers
import TaggingAPI
import Testing
@testable import VTagCLI

/// A person's day with the plugin against the operator's own reconcilers (tagger and approvals) running in
/// process: import, review a suggestion, approve it with an exception, audit, tag by hand, export.
@Suite("kubectl vtag with the operator")
struct WorkflowTests {
    func withOperator(_ body: (TestCluster) async throws -> Void) async throws {
        try await TestCluster.with { c in
            let resources = c.informer(CloudResource.self), rules = c.informer(TaggingRule.self), approvals = c.informer(TagApproval.self)
            let model = ModelHolder()
            let settings = TaggingSettings()
            let tagger = CloudResourceTagger(
                client: c.client, resources: resources.store, rules: rules.store, approvals: approvals.store, model: model,
                settings: settings, events: nil)
            let decider = TagApprovalReconciler(
                client: c.client, approvals: approvals.store, resources: resources.store, model: model, settings: settings, events: nil)
            let tagging = Controller(name: "tagger", workers: 2) { try await tagger.reconcile($0) }
            tagging.watch(resources)
            tagging.reconcileOn(tagger.batcher.retry)
            let deciding = Controller(name: "approvals", workers: 2) { try await decider.reconcile($0) }
            deciding.watch(approvals)
            try await whileRunning([resources.run, rules.run, approvals.run, tagging.run, deciding.run, tagger.batcher.run]) {
                try await eventually("caches synced") { resources.hasSynced && rules.hasSynced && approvals.hasSynced }
                // The rule first, so the tagger sees it when the resources arrive.
                _ = try await c.api(TaggingRule.self).create(TaggingRule(
                    metadata: ObjectMeta(name: "team-from-name", namespace: c.namespace),
                    spec: TaggingRuleSpec(
                        mode: .suggest, confidence: 0.8,
                        match: RuleMatch(name: NameMatch(regex: "^(?<team>[a-z]+)-prod-.+$")),
                        tags: [RuleTag(key: "team", value: "${name.team}")])))
                try await eventually("the rule is cached") { rules.store.count == 1 }
                try await body(c)
            }
        }
    }

    @Test("import, approve with --except, audit, tag, status and export, end to end")
    func dayInTheLife() async throws {
        try await withOperator { c in
            let files = try ScratchFiles("workflow")
            defer { files.remove() }
            let file = try files.write("estate.csv", """
                provider,id,type,name,account,region,tag:env
                aws,i-1,ec2:instance,payments-prod-api-1,1,eu-west-1,prod
                aws,i-2,ec2:instance,payments-prod-api-2,1,eu-west-1,prod
                aws,i-3,ec2:instance,payments-prod-api-3,1,eu-west-1,prod

                """)
            let imported = await c.cli(["import", file])
            #expect(imported.error == nil, "\(message(imported.error))")
            let names = ["i-1", "i-2", "i-3"].map { ResourceNaming.name(provider: "aws", id: $0) }

            // The tagger suggests team=payments for all three in one TagApproval.
            var approval: TagApproval?
            try await eventually("the suggestion") {
                approval = try await c.api(TagApproval.self).list().items.first { $0.spec.key == "team" && $0.spec.resources.count == 3 }
                return approval != nil
            }
            let name = try #require(approval?.metadata.name)
            let pending = await c.cli(["status", "-o", "json"])
            #expect(try JSONValue.parseFast(pending.out)["pendingApprovals"]?.arrayValue?.count == 1, "\(pending.out)")

            let approved = await c.cli(["approve", name, "--except", names[2], "--reason", "naming convention"])
            #expect(approved.error == nil, "\(message(approved.error))")
            #expect(approved.out.contains("for 2 of 3 resources"))

            let api = c.api(CloudResource.self)
            try await eventually("the approved value on the two resources") {
                let tags = try await [api.get(names[0]), api.get(names[1])].map { $0.status?.virtualTags?.first { $0.key == "team" } }
                return tags.allSatisfy { $0?.value == "payments" && $0?.source == .approval && $0?.approval == name }
            }
            #expect(try await api.get(names[2]).status?.virtualTags?.contains { $0.key == "team" && $0.source == .approval } != true)

            let audit = await c.cli(["audit", names[0]])
            #expect(audit.out.contains("approval/\(name) by test-user"), "\(audit.out)")

            // The excluded one gets its team by hand: the tagger applies it with source manual.
            let tagged = await c.cli(["tag", names[2], "team=billing"])
            #expect(tagged.error == nil, "\(message(tagged.error))")
            try await eventually("the manual tag applied") {
                try await api.get(names[2]).status?.virtualTags?.contains { $0.key == "team" && $0.value == "billing" && $0.source == .manual } == true
            }

            let export = await c.cli(["export"])
            let rows = export.out.split(separator: "\n").map(String.init)
            #expect(rows.first?.contains("tag:team") == true, "\(export.out)")
            #expect(rows.contains { $0.hasPrefix("aws,i-1,") && $0.contains("payments") })
            #expect(rows.contains { $0.hasPrefix("aws,i-3,") && $0.contains("billing") })

            let status = try JSONValue.parseFast(await c.cli(["status", "-o", "json"]).out)
            #expect(status["pendingApprovals"]?.arrayValue?.isEmpty == true)
            #expect(status["coverage"]?.arrayValue?.first { $0["key"]?.stringValue == "team" }?["tagged"]?.intValue == 3)
        }
    }
}
