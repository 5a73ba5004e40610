import ArgumentParser
import Discovery
import Foundation
import Inference
import TaggingAPI
import Testing
@testable import VTagCLI

@Suite("kubectl vtag plan")
struct PlanCommandTests {
    let inventory = goldenDirectory.appendingPathComponent("inventory.csv").path
    let rules = repositoryRoot.appendingPathComponent("examples/taggingrules.yaml").path

    /// The fixture paths differ per machine; the goldens name them by a stable placeholder.
    func stable(_ s: String) -> String {
        s.replacingOccurrences(of: inventory, with: "Golden/inventory.csv")
    }

    @Test("table, json and csv output over a small inventory and the example rules match the goldens",
          arguments: ["table", "json", "csv"])
    func golden(format: String) async throws {
        let r = await runCLI(["plan", "--inventory", inventory, "--rules", rules, "-o", format, "--show", "all"])
        #expect(r.error == nil, "\(message(r.error))")
        try expectGolden(stable(r.out), "plan.\(format == "table" ? "txt" : format)")
        if format != "table" {
            // The bad row is reported on stderr (stdout is data), with its line.
            #expect(r.err.contains("line 19: missing id"), "\(r.err)")
        }
    }

    @Test("the JSON has the documented shape and agrees with the inference it reports")
    func jsonShape() async throws {
        let r = await runCLI(["plan", "--inventory", inventory, "--rules", rules, "-o", "json"])
        #expect(r.error == nil, "\(message(r.error))")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        #expect(Set(doc.keys) == ["summary", "resources"])
        let resources = try #require(doc["resources"] as? [[String: Any]])
        #expect(resources.count == 17)
        for res in resources {
            #expect(Set(res.keys).isSuperset(of: ["id", "type", "provider", "nativeTags", "tags"]))
            for tag in try #require(res["tags"] as? [[String: Any]]) {
                #expect(Set(tag.keys) == ["key", "value", "confidence", "source", "decision", "reason"])
                #expect(["apply", "suggest"].contains(tag["decision"] as? String))
            }
        }
        // The rule of the naming convention sets team and env on payments-prod-api-01.
        let payments = try #require(resources.first { ($0["name"] as? String) == "payments-prod-api-01" })
        let tags = try #require(payments["tags"] as? [[String: Any]])
        let team = try #require(tags.first { $0["key"] as? String == "team" })
        #expect(team["value"] as? String == "payments")
        #expect(team["source"] as? String == "rule")
        #expect((team["reason"] as? String)?.contains("team-env-from-name") == true)
        let summary = try #require(doc["summary"] as? [String: Any])
        #expect(summary["resources"] as? Int == 17)
        #expect(summary["rules"] as? Int == 5)
        #expect((summary["discoveryErrors"] as? [String])?.count == 1)
    }

    @Test("a simulated plan is the inference of that estate, learned from itself")
    func simulatedAgreesWithInference() async throws {
        let cmd = try #require(try KubectlVTag.parseAsRoot(["plan", "--simulate", "200", "--seed", "7", "--rules", rules]) as? PlanCommand)
        let report = try await cmd.makeReport()
        let specs = EstateGenerator(seed: 7, count: 200).generate().map(\.spec).sorted { ($0.provider, $0.id) < ($1.provider, $1.id) }
        #expect(report.resources.map(\.spec) == specs)
        let (ruleSet, _) = RuleSet.compile(try ManifestFiles.taggingRules(at: [rules]))
        let inputs = specs.map { InferenceInput(spec: $0) }
        let model = EstateInference.learn(inputs, rules: ruleSet)
        let expected = EstateInference.infer(inputs, inferencer: TagInferencer(rules: ruleSet, model: model))
        #expect(report.resources.map(\.result) == expected)
        let applied = expected.reduce(0) { $0 + $1.applied.count }
        #expect(report.count(.apply) == applied)
        let envApplied = expected.count { $0.tag("env")?.decision == .apply }
        #expect(report.coverage.first { $0.key == "env" }?.applied == envApplied)
    }

    @Test("the table lists the first resources and says how to see the rest")
    func truncation() async throws {
        let r = await runCLI(["plan", "--simulate", "60", "--rules", rules, "--show", "3"])
        #expect(r.error == nil, "\(message(r.error))")
        #expect(r.out.contains("Plan for 60 resources"))
        #expect(r.out.contains("the first 3 of 60"))
        #expect(r.out.contains("57 more resources not shown (--show all)"))
        #expect(r.out.contains("Coverage of required keys"))
    }

    @Test("thresholds and required keys from the flags shape the decisions")
    func thresholds() async throws {
        let strict = try #require(try KubectlVTag.parseAsRoot([
            "plan", "--simulate", "150", "--auto-apply-threshold", "0.99", "--review-threshold", "0.95", "--required-keys", "team,env",
        ]) as? PlanCommand)
        let report = try await strict.makeReport()
        #expect(report.requiredKeys == ["team", "env"])
        let all = report.resources.flatMap(\.result.tags)
        #expect(all.allSatisfy { $0.decision != .apply || $0.confidence >= 0.99 || $0.source == .manual })
        #expect(all.allSatisfy { $0.decision != .suggest || ($0.confidence >= 0.95 && $0.confidence < 0.99) })
        #expect(report.coverage.map(\.key) == ["team", "env"])
    }

    @Test("--fail-under exits non-zero below the ratio and names the weakest keys")
    func failUnder() async throws {
        let low = await runCLI(["plan", "--inventory", inventory, "--fail-under", "0.99"])
        let text = message(low.error)
        #expect(text.contains("below --fail-under 99.0%"), "\(text)")
        #expect(text.contains("lowest:"))
        #expect(low.out.contains("Coverage of required keys"), "the report is still printed")
        let ok = await runCLI(["plan", "--inventory", inventory, "--fail-under", "0.01"])
        #expect(ok.error == nil, "\(message(ok.error))")
    }

    @Test("--job runs a simulated DiscoveryJob manifest through the operator's provider")
    func job() async throws {
        let files = try ScratchFiles("plan-job")
        defer { files.remove() }
        let path = try files.write("job.yaml", """
            apiVersion: vtag.dev/v1alpha1
            kind: DiscoveryJob
            metadata:
              name: sim
            spec:
              provider: simulated
              simulated:
                count: 40
                seed: 3
                clouds: [aws]
            """)
        let r = await runCLI(["plan", "--job", path, "-o", "json"])
        #expect(r.error == nil, "\(message(r.error))")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let ids = try #require(doc["resources"] as? [[String: Any]]).compactMap { $0["id"] as? String }
        let expected = EstateGenerator(seed: 3, count: 40, clouds: ["aws"]).generate().map(\.spec.id)
        #expect(Set(ids) == Set(expected))
    }

    @Test("--job with an inventory job reads the ConfigMap from the same file, and says how to fix a missing one")
    func inventoryJob() async throws {
        let files = try ScratchFiles("plan-inv-job")
        defer { files.remove() }
        let job = """
            apiVersion: vtag.dev/v1alpha1
            kind: DiscoveryJob
            metadata:
              name: inv
            spec:
              provider: inventory
              inventory:
                configMapRef: {name: estate, key: estate.csv}
            """
        let path = try files.write("job.yaml", job + """

            ---
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: estate
            data:
              estate.csv: |
                provider,id,type,name,account,region,tag:team
                aws,i-1,ec2:instance,web-1,1,eu-west-1,web
                aws,i-2,ec2:instance,web-2,1,eu-west-1,
            """)
        let r = await runCLI(["plan", "--job", path, "-o", "csv"])
        #expect(r.error == nil, "\(message(r.error))")
        #expect(r.out.hasPrefix("provider,id,type,name,account,region,"))
        #expect(r.out.contains("aws,i-1,ec2:instance,web-1,1,eu-west-1"))

        let lonely = try files.write("lonely.yaml", job)
        let bad = await runCLI(["plan", "--job", lonely])
        #expect(message(bad.error).contains("ConfigMap estate key estate.csv, which is not in this file"), "\(message(bad.error))")
    }

    @Test("an aws job with no AWS credentials in the environment says which variables to set")
    func awsWithoutCredentials() async throws {
        // The web-identity fallback reads the process's own environment.
        guard ProcessInfo.processInfo.environment["AWS_WEB_IDENTITY_TOKEN_FILE"] == nil else { return }
        let r = await ProcessEnvironment.$current.withValue([:]) {
            await runCLI(["plan", "--job", repositoryRoot.appendingPathComponent("examples/discoveryjob-aws.yaml").path])
        }
        #expect(message(r.error).contains("AWS_ACCESS_KEY_ID"), "\(message(r.error))")
        #expect(r.err.contains("not the Secret aws-readonly-credentials"))
    }

    @Test("a bad rule file is an error naming the file and the line of the document")
    func badRules() async throws {
        let files = try ScratchFiles("plan-rules")
        defer { files.remove() }
        let path = try files.write("rules.yaml", """
            apiVersion: vtag.dev/v1alpha1
            kind: TaggingRule
            metadata:
              name: good
            spec:
              tags: [{key: team, value: web}]
            ---
            # the second rule forgot its tags
            apiVersion: vtag.dev/v1alpha1
            kind: TaggingRule
            metadata:
              name: broken
            spec:
              priority: 3
            """)
        let r = await runCLI(["plan", "--simulate", "10", "--rules", files.dir.path])
        let text = message(r.error)
        #expect(text.contains("\(path) line 9"), "\(text)")
        #expect(text.contains("broken"))
        #expect(text.contains("tags"))

        let missing = await runCLI(["plan", "--simulate", "10", "--rules", "/nonexistent/rules"])
        #expect(message(missing.error).contains("/nonexistent/rules: no such file or folder"))
    }

    @Test("a rule that cannot compile is reported and left out; the others still apply")
    func unusableRule() async throws {
        let files = try ScratchFiles("plan-bad-regex")
        defer { files.remove() }
        let path = try files.write("rules.yaml", """
            apiVersion: vtag.dev/v1alpha1
            kind: TaggingRule
            metadata: {name: broken-regex}
            spec:
              match: {name: {regex: '^(?<team>[a-z+-'}}
              tags: [{key: team, value: '${name.team}'}]
            ---
            apiVersion: vtag.dev/v1alpha1
            kind: TaggingRule
            metadata: {name: everyone-is-web}
            spec:
              override: true
              tags: [{key: team, value: web}]
            """)
        let r = await runCLI(["plan", "--inventory", inventory, "--rules", path, "-o", "json"])
        #expect(r.error == nil, "\(message(r.error))")
        #expect(r.err.contains("unusable rule left out: rule broken-regex"), "\(r.err)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let summary = try #require(doc["summary"] as? [String: Any])
        #expect((summary["ruleErrors"] as? [String])?.count == 1)
        let coverage = try #require((summary["coverage"] as? [String: Any])?["team"] as? [String: Any])
        #expect(coverage["applied"] as? Int == 17, "the override rule tags every resource")
        let table = await runCLI(["plan", "--inventory", inventory, "--rules", path])
        #expect(table.out.contains("1 unusable (left out, see below)"))
    }

    @Test("bad flags are refused with a message saying what to do", arguments: [
        (["plan"], "exactly one source"),
        (["plan", "--simulate", "5", "--inventory", "x.csv"], "exactly one source"),
        (["plan", "--simulate", "0"], "positive"),
        (["plan", "--simulate", "5", "--review-threshold", "0.95"], "--review-threshold"),
        (["plan", "--simulate", "5", "--fail-under", "2"], "--fail-under"),
        (["plan", "--simulate", "5", "--show", "many"], "--show"),
        (["plan", "--simulate", "5", "-o", "yaml"], "yaml"),
    ])
    func badFlags(args: [String], expected: String) {
        do {
            _ = try KubectlVTag.parseAsRoot(args)
            Issue.record("\(args) was accepted")
        } catch {
            #expect(KubectlVTag.message(for: error).contains(expected), "\(KubectlVTag.message(for: error))")
        }
    }
}
