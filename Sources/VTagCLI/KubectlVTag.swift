import ArgumentParser

/// The root command: `kubectl vtag ...` (kubectl finds `kubectl-vtag` on the PATH). Each subcommand
/// lives in its own file. `@main` here rather than a main.swift: top-level code would pick
/// ParsableCommand's synchronous entry point, which cannot run async subcommands.
@main
struct KubectlVTag: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kubectl-vtag",
        abstract: "Virtual tags for cloud resources: plan offline, review suggestions, steer discovery.",
        discussion: """
            Installed on the PATH as kubectl-vtag, it runs as `kubectl vtag`. Cluster commands honour \
            kubectl's conventions: KUBECONFIG, --kubeconfig, --context, -n/--namespace, -A, -l.

            Start offline, no cluster needed:
              kubectl vtag plan --simulate 1000 --rules examples/taggingrules.yaml
            """,
        subcommands: [
            PlanCommand.self, ApproveCommand.self, DenyCommand.self, DiscoverCommand.self, ImportCommand.self,
            ExportCommand.self, TagCommand.self, UntagCommand.self, StatusCommand.self, AuditCommand.self, EvalCommand.self, CostCommand.self,
        ])
}
