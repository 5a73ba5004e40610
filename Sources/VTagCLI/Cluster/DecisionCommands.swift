import ArgumentParser
import Foundation
import K8sClient
import KubeCore
import TaggingAPI

/// The options `approve` and `deny` share: which TagApprovals, why, and which resources to leave out.
struct DecisionOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("TagApproval names.", valueName: "NAME"))
    var names: [String] = []

    @Option(name: [.customShort("l"), .long], help: "Label selector, e.g. vtag.dev/approval-group=7c1e2a9b40.")
    var selector: String?

    @Flag(name: .long, help: "Every undecided TagApproval of the namespace.")
    var all = false

    @Option(name: .long, help: "Why (stored in status.reason).")
    var reason: String?

    @Option(name: [.customLong("except"), .customLong("exclude")], parsing: .upToNextOption,
            help: ArgumentHelp("CloudResources left out of the decision (status.excluded).", valueName: "RESOURCE"))
    var except: [String] = []

    @Option(name: [.short, .long], help: "table or json (the decided TagApprovals).")
    var output: ClusterOutput = .table

    func validate() throws {
        let ways = [!names.isEmpty, selector != nil, all].count { $0 }
        guard ways == 1 else { throw ValidationError("name the TagApprovals, or give -l SELECTOR, or --all (exactly one of these)") }
    }
}

/// Writes a person's decision exactly as someone with only the vtag-approver role may: a JSON merge
/// patch of status.decision/reason/excluded/decidedBy/decidedAt on the tagapprovals/status subresource,
/// after reading the approvals (get/list). A decided approval is never changed: the decision is final.
struct ApprovalDecider {
    var session: ClusterSession
    var options: DecisionOptions
    var decision: ApprovalDecision
    var now: @Sendable () -> Date = { Date() }

    var api: Api<TagApproval> { session.api(TagApproval.self) }

    func selected() async throws -> [TagApproval] {
        if !options.names.isEmpty {
            var out: [TagApproval] = []
            for name in options.names {
                out.append(try await session.run(.init("get", "tagapprovals", name)) { try await api.get(name) })
            }
            return out
        }
        let list = try await session.run(.init("list", "tagapprovals")) {
            try await api.listAll(ListParams(labelSelector: options.selector))
        }
        return list.items.sorted { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }
    }

    /// Why an approval cannot be decided any more, or nil.
    static func closed(_ a: TagApproval) -> String? {
        let s = a.status
        if let d = s?.decision {
            let by = s?.decidedBy.map { " by \($0)" } ?? ""
            let at = s?.decidedAt.map { " at \(KubeTime.format($0))" } ?? ""
            return "it was already \(d.rawValue)\(by)\(at); a decision is final"
        }
        if s?.phase == .expired { return "it expired undecided; the operator suggests the value again in a new TagApproval" }
        return nil
    }

    func run() async throws {
        let console = Console.current
        var approvals = try await selected()
        let verb = decision == .approved ? "approve" : "deny"

        if !options.names.isEmpty {
            let refused = approvals.compactMap { a in Self.closed(a).map { "tagapproval \(a.metadata.name ?? "") cannot be changed: \($0)" } }
            guard refused.isEmpty else {
                throw CLIError(refused.joined(separator: "\n") + "\nnothing was written.")
            }
        } else {
            let skipped = approvals.filter { Self.closed($0) != nil }
            approvals.removeAll { Self.closed($0) != nil }
            if !skipped.isEmpty { console.note("skipped \(skipped.count) TagApproval(s) already decided or expired") }
            guard !approvals.isEmpty else {
                throw CLIError("no undecided TagApproval \(options.selector.map { "matches -l \($0)" } ?? "in namespace \(session.namespace)"): nothing to \(verb)")
            }
        }

        let listed = Set(approvals.flatMap { $0.spec.resources.map(\.name) })
        let unknown = options.except.filter { !listed.contains($0) }
        guard unknown.isEmpty else {
            throw CLIError("--except \(unknown.joined(separator: ", ")): not listed in the selected TagApproval(s), so it cannot be left out; nothing was written. They list: \(listed.sorted().prefix(20).joined(separator: ", "))\(listed.count > 20 ? ", ..." : "")")
        }

        let who = await session.whoAmI()
        let at = now()
        var decided: [TagApproval] = []
        for a in approvals {
            let name = a.metadata.name ?? ""
            let excluded = a.spec.resources.map(\.name).filter { options.except.contains($0) }
            var status: [String: JSONValue] = [
                "decision": .string(decision.rawValue),
                "decidedBy": .string(who),
                "decidedAt": .string(KubeTime.format(at)),
            ]
            if let reason = options.reason { status["reason"] = .string(reason) }
            if !excluded.isEmpty { status["excluded"] = .array(excluded.map { .string($0) }) }
            let patch = Patch.merge(.object(["status": .object(status)]))
            do {
                decided.append(try await session.run(.init("patch", "tagapprovals/status", name)) {
                    try await api.patchStatus(name, patch, PatchParams(fieldManager: VTag.FieldManager.cli))
                })
            } catch {
                // Report what was already written before failing.
                report(decided, excludedFrom: options.except)
                throw error
            }
        }
        report(decided, excludedFrom: options.except)
    }

    func report(_ decided: [TagApproval], excludedFrom except: [String]) {
        let console = Console.current
        guard !decided.isEmpty else { return }
        if options.output == .json {
            console.write((try? JSONOutput.string(ObjectList(apiVersion: "v1", kind: "List", items: decided))) ?? "")
            return
        }
        for a in decided {
            let total = a.spec.resources.count
            let excluded = a.status?.excluded?.count ?? 0
            let word = decision == .approved ? "approved" : "denied"
            var line = "tagapproval/\(a.metadata.name ?? "") \(word): \(a.spec.key)=\(a.spec.value) (\(a.spec.source.rawValue)"
            line += a.spec.rule.map { " rule \($0)" } ?? ""
            line += ") for \(total - excluded) of \(total) resource\(total == 1 ? "" : "s")"
            if excluded > 0 { line += ", leaving out \(a.status?.excluded?.joined(separator: ", ") ?? "")" }
            console.line(line)
        }
        let by = decided.first?.status?.decidedBy ?? "?"
        console.line("decided by \(by); the operator applies it to the resources shortly (kubectl get tap to follow).")
    }
}

struct ApproveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Approve suggested tags (TagApprovals), optionally leaving some resources out.",
        discussion: """
            Writes status.decision=Approved (with your name, the time, --reason and --except) on each \
            TagApproval's status subresource, which is what the vtag-approver role allows. A decision is \
            final: an approval already decided is refused (by name) or skipped (with -l/--all).

            Examples:
              kubectl vtag approve team-payments-7c1e2a9b40-0 --reason "checked"
              kubectl vtag approve team-payments-7c1e2a9b40-0 --except aws-db-3f1c0e9a7b
              kubectl vtag approve -l vtag.dev/approval-group=7c1e2a9b40 -n team-a
            """)

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var decision: DecisionOptions

    func run() async throws {
        try await ApprovalDecider(session: try cluster.connect(), options: decision, decision: .approved).run()
    }
}

struct DenyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deny",
        abstract: "Deny suggested tags (TagApprovals): the values are never suggested again for those resources.",
        discussion: """
            Writes status.decision=Denied (with your name, the time, --reason and --except) on each \
            TagApproval's status subresource. The operator records the denial on every listed resource \
            not excluded, and the model learns from it.

            Examples:
              kubectl vtag deny team-payments-7c1e2a9b40-0 --reason "billing owns them"
              kubectl vtag deny --all -n sandbox --reason "sandbox is untagged on purpose"
            """)

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var decision: DecisionOptions

    func run() async throws {
        try await ApprovalDecider(session: try cluster.connect(), options: decision, decision: .denied).run()
    }
}
