import ArgumentParser
import Foundation
import K8sClient
import KubeCore
import TaggingAPI

/// The figures of `kubectl vtag status`, computed from the listed objects (pure, so tests check them).
struct EstateStatus: Encodable {
    struct KeyCoverage: Encodable {
        var key: String
        var tagged: Int
        var coverage: Rounded
    }

    struct PendingApproval: Encodable {
        var namespace: String
        var name: String
        var key: String
        var value: String
        var source: String
        var resources: Int
        var age: String
    }

    struct ModelPrecision: Encodable {
        var approved: Int
        var denied: Int
        /// approved / (approved + denied), nil when nothing was decided.
        var precision: Rounded?
        var approvedResources: Int
        var deniedResources: Int
    }

    struct JobRun: Encodable {
        var namespace: String
        var name: String
        var provider: String
        var running: Bool
        var lastRun: DiscoveryRun?
        var ready: String?
    }

    var resources: Int
    var phases: [String: Int]
    /// Resources the tagger has evaluated (status.evaluatedAt set): coverage is over these.
    var evaluated: Int
    var compliant: Int
    var requiredKeys: [String]
    var coverage: [KeyCoverage]
    var pendingApprovals: [PendingApproval]
    var approvalsByPhase: [String: Int]
    var model: ModelPrecision
    var jobs: [JobRun]

    static func make(resources: [CloudResource], approvals: [TagApproval], jobs: [DiscoveryJob], requiredKeys: [String],
                     now: Date = Date()) -> EstateStatus {
        var phases: [String: Int] = [:]
        var evaluated = 0, compliant = 0
        var tagged = Dictionary(uniqueKeysWithValues: requiredKeys.map { ($0, 0) })
        for r in resources {
            // Discovery sets a phase only when a resource vanishes or comes back: none means Active.
            phases[(r.status?.phase ?? .active).rawValue, default: 0] += 1
            guard let s = r.status, s.evaluatedAt != nil || s.virtualTags != nil else { continue }
            evaluated += 1
            let keys = Set((s.virtualTags ?? []).map(\.key))
            for k in requiredKeys where keys.contains(k) { tagged[k, default: 0] += 1 }
            if (s.missingKeys ?? []).isEmpty && requiredKeys.allSatisfy(keys.contains) { compliant += 1 }
        }
        let coverage = requiredKeys.map { k in
            KeyCoverage(key: k, tagged: tagged[k] ?? 0, coverage: Rounded(evaluated == 0 ? 0 : Double(tagged[k] ?? 0) / Double(evaluated)))
        }

        var byPhase: [String: Int] = [:]
        var pending: [PendingApproval] = []
        var model = ModelPrecision(approved: 0, denied: 0, precision: nil, approvedResources: 0, deniedResources: 0)
        for a in approvals {
            let decision = a.status?.decision
            let phase = a.status?.phase ?? (decision == nil ? .pending : (decision == .approved ? .approved : .denied))
            byPhase[phase.rawValue, default: 0] += 1
            if decision == nil && phase == .pending {
                pending.append(PendingApproval(
                    namespace: a.metadata.namespace ?? "", name: a.metadata.name ?? "", key: a.spec.key, value: a.spec.value,
                    source: a.spec.source.rawValue, resources: a.spec.resources.count,
                    age: Format.age(since: a.metadata.creationTimestamp, now: now)))
            }
            if a.spec.source == .model, let decision {
                let n = a.spec.resources.count - (a.status?.excluded?.count ?? 0)
                if decision == .approved { model.approved += 1; model.approvedResources += n } else { model.denied += 1; model.deniedResources += n }
            }
        }
        if model.approved + model.denied > 0 { model.precision = Rounded(Double(model.approved) / Double(model.approved + model.denied)) }
        pending.sort { ($0.resources, $1.name) > ($1.resources, $0.name) }

        let jobRuns = jobs.map { j in
            JobRun(namespace: j.metadata.namespace ?? "", name: j.metadata.name ?? "", provider: j.spec.provider.rawValue,
                   running: j.status?.activeRun != nil, lastRun: j.status?.lastRun,
                   ready: j.status?.conditions?.first { $0.type == VTag.ConditionType.ready }.map { "\($0.status.rawValue) \($0.reason)" })
        }.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }

        return EstateStatus(
            resources: resources.count, phases: phases, evaluated: evaluated, compliant: compliant, requiredKeys: requiredKeys,
            coverage: coverage, pendingApprovals: pending, approvalsByPhase: byPhase, model: model, jobs: jobRuns)
    }

    func table(scope: String, showNamespaces: Bool = false, now: Date = Date()) -> String {
        var out = "vtag status \(scope)\n\n"
        let phaseText = phases.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        out += "Resources: \(resources)\(phaseText.isEmpty ? "" : " (\(phaseText))"); evaluated by the tagger: \(evaluated)"
        if evaluated > 0 { out += "; compliant: \(compliant) (\(Format.percent(Double(compliant) / Double(evaluated))))" }
        out += "\n\n"

        out += "Coverage of required keys (evaluated resources with an applied value):\n"
        var cov = TextTable(["KEY", "TAGGED", "COVERAGE"], rightAligned: [1, 2])
        for c in coverage { cov.add([c.key, "\(c.tagged)", Format.percent(c.coverage.value)]) }
        out += cov.render(indent: "  ") + "\n"

        let phaseList = approvalsByPhase.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        out += "Approvals: \(pendingApprovals.count) pending\(phaseList.isEmpty ? "" : " (all: \(phaseList))")\n"
        if !pendingApprovals.isEmpty {
            var t = TextTable(["NAME", "TAG", "SOURCE", "RESOURCES", "AGE"], rightAligned: [3])
            for p in pendingApprovals.prefix(10) { t.add([showNamespaces ? "\(p.namespace)/\(p.name)" : p.name, "\(p.key)=\(p.value)", p.source, "\(p.resources)", p.age]) }
            out += t.render(indent: "  ")
            if pendingApprovals.count > 10 { out += "  ... \(pendingApprovals.count - 10) more (kubectl get tap)\n" }
            out += "  decide with: kubectl vtag approve NAME / kubectl vtag deny NAME --reason ...\n"
        }
        out += "\n"

        if let p = model.precision {
            out += "Model precision on decided suggestions: \(Format.percent(p.value)) (\(model.approved) approved, \(model.denied) denied TagApprovals of source model)\n\n"
        } else {
            out += "Model precision on decided suggestions: no model suggestion decided yet\n\n"
        }

        out += "Discovery:\n"
        if jobs.isEmpty {
            out += "  no DiscoveryJob (see examples/discoveryjob-*.yaml)\n"
        } else {
            var t = TextTable(["JOB", "PROVIDER", "STATE", "LAST RUN", "DISCOVERED", "CREATED", "UPDATED", "VANISHED", "ERRORS"],
                              rightAligned: [4, 5, 6, 7, 8])
            for j in jobs {
                let r = j.lastRun
                let state = j.running ? "Running" : (r == nil ? "NeverRun" : ((r?.errors ?? 0) > 0 ? "Failed" : "Succeeded"))
                let when = r.map { "\(Format.age(since: $0.finishedAt ?? $0.startedAt, now: now)) ago" } ?? "-"
                t.add([j.namespace.isEmpty ? j.name : "\(j.namespace)/\(j.name)", j.provider, state, when,
                       r.map { "\($0.discovered)" } ?? "-", r.map { "\($0.created)" } ?? "-", r.map { "\($0.updated)" } ?? "-",
                       r.map { "\($0.vanished)" } ?? "-", r.map { "\($0.errors)" } ?? "-"])
            }
            out += t.render(indent: "  ")
        }
        return out
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "At a glance: resources per phase, coverage per required key, pending approvals, model precision, discovery runs.",
        discussion: """
            Reads the namespace's CloudResources, TagApprovals and DiscoveryJobs (the vtag-viewer role is \
            enough). Coverage counts resources the tagger has evaluated; model precision is approved / \
            (approved + denied) over decided TagApprovals whose source is the model.

            Examples:
              kubectl vtag status -n team-a
              kubectl vtag status -A -o json
            """)

    @OptionGroup var cluster: ClusterOptions

    @Flag(name: [.customShort("A"), .long], help: "Every namespace.")
    var allNamespaces = false

    @Option(name: .long, help: ArgumentHelp("Required keys, comma-separated (as the operator is configured).", valueName: "KEYS"))
    var requiredKeys: String = VTag.defaultRequiredKeys.joined(separator: ",")

    @Option(name: [.short, .long], help: "table or json.")
    var output: ClusterOutput = .table

    func run() async throws {
        let session = try cluster.connect()
        let all = allNamespaces
        async let resources = session.run(.init("list", "cloudresources", allNamespaces: all)) {
            try await session.api(CloudResource.self, allNamespaces: all).listAll().items
        }
        async let approvals = session.run(.init("list", "tagapprovals", allNamespaces: all)) {
            try await session.api(TagApproval.self, allNamespaces: all).listAll().items
        }
        async let jobs = session.run(.init("list", "discoveryjobs", allNamespaces: all)) {
            try await session.api(DiscoveryJob.self, allNamespaces: all).listAll().items
        }
        let keys = requiredKeys.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let status = EstateStatus.make(resources: try await resources, approvals: try await approvals, jobs: try await jobs, requiredKeys: keys)
        switch output {
        case .table: Console.current.write(status.table(scope: all ? "in all namespaces" : "in namespace \(session.namespace)", showNamespaces: all))
        case .json: Console.current.write(try JSONOutput.string(status))
        }
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "A CloudResource's tag history (who or what changed each tag) and its current virtual tags.",
        discussion: """
            Prints status.history (newest last: time, action, key, old -> new, actor such as rule/NAME, \
            model, manual or approval/NAME by USER), the current virtual tags with their source and reason, \
            and the values people denied.

            Examples:
              kubectl vtag audit aws-payments-api-9a1d3c5e7f -n team-a
              kubectl vtag audit aws-payments-api-9a1d3c5e7f -o json
            """)

    @OptionGroup var cluster: ClusterOptions

    @Argument(help: ArgumentHelp("The CloudResource.", valueName: "RESOURCE"))
    var resource: String

    @Option(name: [.short, .long], help: "table or json.")
    var output: ClusterOutput = .table

    struct Audit: Encodable {
        var name: String
        var id: String
        var history: [TagHistoryEntry]
        var virtualTags: [VirtualTag]
        var rejected: [RejectedTag]
        var missingKeys: [String]
        var manualTags: [String: String]
    }

    static func audit(_ r: CloudResource) -> Audit {
        Audit(name: r.metadata.name ?? "", id: r.spec.id, history: r.status?.history ?? [],
              virtualTags: (r.status?.virtualTags ?? []).sorted { $0.key < $1.key }, rejected: r.status?.rejected ?? [],
              missingKeys: r.status?.missingKeys ?? [], manualTags: r.spec.manualTags ?? [:])
    }

    static func table(_ a: Audit) -> String {
        var out = "cloudresource/\(a.name)  \(a.id)\n\nHistory (oldest first):\n"
        if a.history.isEmpty {
            out += "  no changes recorded yet\n"
        } else {
            var t = TextTable(["TIME", "ACTION", "KEY", "CHANGE", "ACTOR"])
            for h in a.history {
                t.add([KubeTime.format(h.time), h.action.rawValue, h.key, "\(h.old ?? "-") -> \(h.new ?? "-")", h.actor])
            }
            out += t.render(indent: "  ")
        }
        out += "\nVirtual tags now:\n"
        if a.virtualTags.isEmpty {
            out += "  none\n"
        } else {
            var t = TextTable(["KEY", "VALUE", "SOURCE", "CONFIDENCE", "BY", "SINCE", "REASON"], rightAligned: [3])
            for v in a.virtualTags {
                let by = v.rule.map { "rule/\($0)" } ?? v.approval.map { "approval/\($0)" } ?? "-"
                t.add([v.key, v.value, v.source.rawValue, Format.confidence(v.confidence), by, Format.time(v.appliedAt), Format.truncate(v.reason, 120)])
            }
            out += t.render(indent: "  ")
        }
        if !a.missingKeys.isEmpty { out += "  missing required keys: \(a.missingKeys.joined(separator: ", "))\n" }
        if !a.manualTags.isEmpty { out += "  manual tags (spec.manualTags): \(ManualTagWriter.describe(a.manualTags))\n" }
        if !a.rejected.isEmpty {
            out += "\nDenied values (never suggested again):\n"
            var t = TextTable(["KEY", "VALUE", "APPROVAL", "WHEN", "REASON"])
            for r in a.rejected { t.add([r.key, r.value, r.approval ?? "-", Format.time(r.rejectedAt), r.reason ?? "-"]) }
            out += t.render(indent: "  ")
        }
        return out
    }

    func run() async throws {
        let session = try cluster.connect()
        let r = try await session.run(.init("get", "cloudresources", resource)) { try await session.api(CloudResource.self).get(resource) }
        let a = Self.audit(r)
        Console.current.write(output == .json ? try JSONOutput.string(a) : Self.table(a))
    }
}
