import ArgumentParser

/// The root command: `kubectl vtag ...` (kubectl finds `kubectl-vtag` on the PATH). Each subcommand
/// lives in its own file. `@main` here rather than a main.swift: top-level code would pick
/// ParsableCommand's synchronous entry point, which cannot run async subcommands.
@main
struct KubectlVTag: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kubectl-vtag",
        abstract: "Virtual tags for cloud resources: inspect, plan and measure tag inference.",
        subcommands: [EvalCommand.self])
}
