import ArgumentParser

/// The root command: `kubectl vtag ...` (kubectl finds `kubectl-vtag` on the PATH).
struct KubectlVTag: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kubectl-vtag",
        abstract: "Virtual tags for cloud resources: inspect, plan and measure tag inference.",
        subcommands: [EvalCommand.self])
}
