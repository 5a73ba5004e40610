/// Every failure the operator's own start-up throws: one type for the module (docs/ARCHITECTURE.md,
/// "Errors"). Each case holds the facts; `description` says what to change.
enum OperatorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Flags or environment variables that cannot work, one line each.
    case invalidConfiguration(problems: [String])
    /// A listen address (`--metrics-bind-address`, `--health-probe-bind-address`) that is not HOST:PORT.
    case invalidBindAddress(option: String, text: String, problem: String)
    /// The operator's own namespace (Lease, learned model) does not exist.
    case homeNamespaceMissing(namespace: String)

    var description: String {
        switch self {
        case .invalidConfiguration(let problems):
            "invalid configuration:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
        case .invalidBindAddress(let option, let text, let problem):
            "\(option) \"\(text)\" \(problem)"
        case .homeNamespaceMissing(let namespace):
            """
            namespace "\(namespace)" does not exist: the operator keeps its leader-election Lease and its learned \
            model (ConfigMaps) there. Create it (`kubectl create namespace \(namespace)`, or apply manifests/), or name \
            an existing namespace with --leader-election-namespace (env POD_NAMESPACE).
            """
        }
    }
}
