// Inference benchmarks: 100,000 resources x 200 rules, and model training on 100,000 resources.
import Foundation
import Inference
import KubeCore
import TaggingAPI

enum InferenceBenchmarks {
    /// A deterministic synthetic estate: 40 teams with apps, accounts per env, names in a few styles,
    /// half the resources tagged with synonyms and variants, volumes attached to instances.
    static func estate(_ count: Int, seed: UInt64 = 42) -> [CloudResourceSpec] {
        var g = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func next(_ n: Int) -> Int { g ^= g << 13; g ^= g >> 7; g ^= g << 17; return Int(g % UInt64(n)) }
        let envs = ["production", "staging", "development", "test"]
        let envTokens = ["prod", "stg", "dev", "qa"]
        let types = [("aws", "ec2:instance"), ("aws", "ec2:volume"), ("aws", "rds:db"), ("aws", "s3:bucket"),
                     ("aws", "lambda:function"), ("aws", "elbv2:loadbalancer"), ("gcp", "compute:instance"),
                     ("gcp", "storage:bucket"), ("azure", "compute:virtualmachine"), ("azure", "storage:account")]
        let roles = ["api", "web", "worker", "db", "cache", "batch"]
        var out: [CloudResourceSpec] = []
        out.reserveCapacity(count)
        var lastInstance: String?
        for i in 0..<count {
            let team = next(40), app = next(4), env = next(4)
            let (provider, type) = types[next(types.count)]
            let teamName = "team\(team)", appName = "app\(team)x\(app)"
            let name: String
            switch next(3) {
            case 0: name = "\(teamName)-\(appName)-\(envTokens[env])-\(roles[next(6)])-\(i % 100)"
            case 1: name = "\(envTokens[env])_\(appName)_\(roles[next(6)])_\(i % 100)"
            default: name = "\(appName)\(roles[next(6)].capitalized)\(envTokens[env].capitalized)\(i % 100)"
            }
            var tags: [String: String]?
            if next(10) < 5 {
                tags = [["Environment", "env", "stage"][next(3)]: [envs[env], envTokens[env], envTokens[env].uppercased()][next(3)],
                        ["team", "Team", "owner_team"][next(3)]: teamName, "CostCenter": "CC-\(1000 + team)",
                        "app": appName, "Owner": "lead\(team)@example.com"]
            }
            let id = "\(provider)://\(type)/\(i)"
            var relations: [Relation]?
            if type == "ec2:volume", let parent = lastInstance { relations = [Relation(type: "AttachedTo", target: parent)] }
            if type == "ec2:instance" { lastInstance = id }
            out.append(CloudResourceSpec(
                provider: provider, id: id, type: type, name: name, account: "acct-\(team % 20)-\(env)",
                region: ["us-east-1", "eu-west-1", "europe-west1", "westeurope"][next(4)], nativeTags: tags, relations: relations))
        }
        return out
    }

    /// 200 rules of the kinds people write: per type with a name regex, per account, on tags, audits, and
    /// a few that apply everywhere.
    static func rules() -> [TaggingRule] {
        var rules: [TaggingRule] = []
        func add(_ name: String, _ spec: TaggingRuleSpec) { rules.append(TaggingRule(metadata: ObjectMeta(name: name, namespace: "bench"), spec: spec)) }
        let types = ["ec2:instance", "ec2:volume", "rds:db", "s3:bucket", "lambda:function", "elbv2:loadbalancer",
                     "compute:instance", "storage:bucket", "compute:virtualmachine", "storage:account"]
        for i in 0..<60 {
            add("name-\(i)", TaggingRuleSpec(
                priority: i % 5, match: RuleMatch(types: [types[i % types.count]], name: NameMatch(regex: "^team\(i % 40)-(?<app>[a-z0-9]+)-(?<env>[a-z]+)-")),
                tags: [RuleTag(key: "application", value: "${name.app}"), RuleTag(key: "env", value: "${name.env}")]))
        }
        for i in 0..<60 {
            add("account-\(i)", TaggingRuleSpec(
                priority: 1, match: RuleMatch(accounts: ["acct-\(i % 20)-\(i % 4)"]),
                tags: [RuleTag(key: "cost-center", value: "CC-\(1000 + i % 20)")]))
        }
        for i in 0..<40 {
            add("tag-\(i)", TaggingRuleSpec(
                priority: 2, match: RuleMatch(providers: ["aws"], types: ["ec2:*"], tags: [TagMatcher(key: "team", operator: .in, values: ["team\(i)"])]),
                tags: [RuleTag(key: "owner", value: "lead\(i)@example.com")]))
        }
        for i in 0..<20 {
            add("audit-\(i)", TaggingRuleSpec(
                mode: .audit, match: RuleMatch(types: [types[i % types.count]], tags: [TagMatcher(key: "env", operator: .doesNotExist)]),
                tags: [RuleTag(key: "env", value: "unknown")]))
        }
        for i in 0..<20 {
            add("everywhere-\(i)", TaggingRuleSpec(
                priority: -1, mode: .suggest, confidence: 0.8, match: RuleMatch(name: NameMatch(regex: "^(?<env>prod|stg|dev|qa)_app\(i)x")),
                tags: [RuleTag(key: "env", value: "${name.env}")]))
        }
        return rules
    }

    /// CPU time of this thread: the figure for "one core", unaffected by other processes sharing the machine.
    static func cpuSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Runs `body`, returning its result and its CPU seconds on this thread.
    static func time<T>(_ body: () -> T) -> (T, Double) {
        let start = cpuSeconds()
        let r = body()
        return (r, cpuSeconds() - start)
    }

    /// A fingerprint of every output field, so a faster evaluation can be checked to give the same results.
    static func digest(_ results: [InferenceResult]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ s: String) {
            for b in s.utf8 { h ^= UInt64(b); h = h &* 0x100_0000_01b3 }
            h ^= 0xff; h = h &* 0x100_0000_01b3
        }
        for r in results {
            for t in r.tags + r.audits {
                mix(t.key); mix(t.value); mix("\(t.confidence)"); mix(t.source.rawValue); mix(t.decision.rawValue)
                mix(t.reason); mix(t.rule ?? "-"); mix(t.parent ?? "-")
            }
            mix(r.missingKeys.joined(separator: ",")); mix(r.matchedRules.joined(separator: ",")); mix(r.modelVersion ?? "-")
        }
        return String(h, radix: 16)
    }

    static func evaluate() async throws {
        let specs = estate(100_000)
        let inputs = specs.map { InferenceInput(spec: $0) }
        let (compiled, compileSeconds) = time { RuleSet.compile(rules()) }
        precondition(compiled.1.isEmpty, "benchmark rules must compile: \(compiled.1)")
        let inferencer = TagInferencer(rules: compiled.0)
        _ = EstateInference.infer(Array(inputs.prefix(1000)), inferencer: inferencer)  // warm up
        let (results, seconds) = time { EstateInference.infer(inputs, inferencer: inferencer) }
        printRules(results, seconds: seconds, compileSeconds: compileSeconds, count: inputs.count)

        let model = EstateInference.learn(inputs, rules: compiled.0)
        let full = TagInferencer(rules: compiled.0, model: model)
        let (fullResults, fullSeconds) = time { EstateInference.infer(inputs, inferencer: full) }
        print("inference-full-100k: \(String(format: "%.3f", fullSeconds)) s for 100000 resources x 200 rules + model + inheritance")
        print("inference-full-digest: \(digest(fullResults))")
    }

    /// The rules-only pass of `evaluate` five times and nothing else (no training): for profilers, and a
    /// steadier figure (min and max of the five).
    static func rulesOnly() async throws {
        let inputs = estate(100_000).map { InferenceInput(spec: $0) }
        let (compiled, compileSeconds) = time { RuleSet.compile(rules()) }
        precondition(compiled.1.isEmpty, "benchmark rules must compile: \(compiled.1)")
        let inferencer = TagInferencer(rules: compiled.0)
        _ = EstateInference.infer(Array(inputs.prefix(1000)), inferencer: inferencer)  // warm up
        var runs: [Double] = []
        var last: [InferenceResult] = []
        for _ in 0..<5 {
            last = []  // the previous results are freed outside the timed part
            let (results, seconds) = time { EstateInference.infer(inputs, inferencer: inferencer) }
            runs.append(seconds)
            last = results
        }
        printRules(last, seconds: runs.min()!, compileSeconds: compileSeconds, count: inputs.count)
        print("inference-rules-100k-runs: \(runs.map { String(format: "%.3f", $0) }.joined(separator: " ")) s CPU (min above)")
    }

    static func printRules(_ results: [InferenceResult], seconds: Double, compileSeconds: Double, count: Int) {
        let matched = results.reduce(0) { $0 + $1.matchedRules.count }
        let ruleTags = results.reduce(0) { $0 + $1.tags.filter { $0.source == .rule }.count }
        print("inference-rules-compile: \(String(format: "%.1f", compileSeconds * 1000)) ms for 200 rules")
        print("inference-rules-100k: \(String(format: "%.3f", seconds)) s CPU for 100000 resources x 200 rules (one thread)")
        print("inference-rules-rate: \(Int(Double(count) / seconds)) resources/s")
        print("inference-rules-matches: \(matched) rule matches, \(ruleTags) rule tags")
        print("inference-rules-digest: \(digest(results))")
    }

    static func train() async throws {
        let inputs = estate(100_000).map { InferenceInput(spec: $0) }
        let estateMiB = ProcessUsage.residentMiB()
        ProcessUsage.resetPeakResident()
        let (model, seconds) = time { EstateInference.learn(inputs) }
        let peakMiB = ProcessUsage.peakResidentSinceResetMiB()
        let data = try JSONEncoder().encode(model)
        print("inference-train-100k: \(String(format: "%.3f", seconds)) s to learn from 100000 resources (5 keys, 5 folds)")
        if let estateMiB, let peakMiB {
            print("inference-train-peak-rss: \(peakMiB) MiB while training (the estate's inputs alone: \(estateMiB) MiB; training adds \(peakMiB - estateMiB) MiB)")
        }
        // Keys sorted, so one model always gives one digest (a faster training must give the same model).
        let sortedEncoder = JSONEncoder()
        sortedEncoder.outputFormatting = .sortedKeys
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in try sortedEncoder.encode(model) { h ^= UInt64(b); h = h &* 0x100_0000_01b3 }
        print("inference-model-digest: \(String(h, radix: 16))")
        print("inference-model-size: \(data.count / 1024) KiB JSON (\(model.keys.values.reduce(0) { $0 + $1.featureNames.count }) features)")
        let (decoded, decodeSeconds) = time { try? JSONDecoder().decode(TagModel.self, from: data) }
        precondition(decoded != nil)
        print("inference-model-decode: \(String(format: "%.3f", decodeSeconds)) s")
        var copy = model
        let spec = inputs[0].spec
        let (_, learnSeconds) = time {
            for i in 0..<1000 {
                copy.learn(TrainingExample(id: "\(i)", features: copy.features(spec: spec, known: [:]), labels: ["team": "team\(i % 40)"]))
            }
        }
        print("inference-learn-incremental: \(String(format: "%.1f", learnSeconds * 1e6 / 1000)) us per example")
    }
}
