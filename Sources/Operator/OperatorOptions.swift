import ArgumentParser

/// Command-line flags. Every one falls back to an environment variable (named in its help) and then
/// a default, so the Deployment can configure the operator either way.
struct OperatorOptions: ParsableArguments {
    @Option(help: "Path to a kubeconfig. Else KUBECONFIG, then in-cluster config, then ~/.kube/config.")
    var kubeconfig: String?

    @Option(help: "kubeconfig context to use (default: its current-context).")
    var context: String?

    @Option(name: .customLong("namespace"), help: "Namespace to watch; repeat for several. Env VTAG_NAMESPACES (comma-separated). Default: all.")
    var namespace: [String] = []

    @Option(help: "Address of /metrics, e.g. :8080; 0 disables. Env VTAG_METRICS_ADDRESS. Default :8080.")
    var metricsAddress: String?

    @Option(help: "Address of /healthz and /readyz. Env VTAG_PROBE_ADDRESS. Default :8081.")
    var probeAddress: String?

    @Flag(help: "Elect one active replica through a coordination.k8s.io Lease. Env VTAG_LEADER_ELECT.")
    var leaderElect = false

    @Option(help: "Namespace of the leader-election Lease. Env POD_NAMESPACE. Default vtag-system.")
    var leaderElectionNamespace: String?

    @Option(help: "Name of the leader-election Lease. Default vtag-operator-leader.")
    var leaderElectionID: String?

    @Option(help: "Apply inferred tags at or above this confidence. Env AUTO_APPLY_THRESHOLD. Default 0.90.")
    var autoApplyThreshold: Double?

    @Option(help: "Ask a person about tags at or above this confidence. Env MANUAL_REVIEW_THRESHOLD. Default 0.70.")
    var reviewThreshold: Double?

    @Option(help: "Required tag keys (comma-separated or repeated). Env REQUIRED_KEYS. Default env,team,owner,cost-center,application.")
    var requiredKeys: [String] = []

    @Option(help: "Re-evaluate every resource this often (catches model updates). Env VTAG_REEVALUATE_INTERVAL. Default 1h.")
    var reevaluateInterval: String?

    @Option(help: "On a fresh install, how long the first model waits for a first discovery to settle before tagging starts with what is discovered by then. Env VTAG_FIRST_MODEL_WAIT. Default 5m.")
    var firstModelWait: String?

    @Option(help: "Pending TagApprovals expire after this. Env VTAG_APPROVAL_TTL. Default 168h.")
    var approvalTTL: String?

    @Option(help: "On SIGTERM, in-flight reconciles get this long to finish. Env VTAG_SHUTDOWN_DEADLINE. Default 30s.")
    var shutdownDeadline: String?

    @Option(help: "Concurrent reconciles per controller (the CloudResource tagger, whose reconciles mostly wait for one status write, runs four times as many). Env VTAG_WORKERS. Default 4.")
    var workers: Int?

    @Option(name: .customLong("kube-api-qps"), help: "A fixed limit of requests per second to the API server. Default: none, adaptive (as many requests in flight as the server answers quickly; fewer on 429 Too Many Requests, which holds new requests for its Retry-After, and on slow answers). Env VTAG_KUBE_API_QPS.")
    var kubeAPIQPS: Double?

    @Option(name: .customLong("kube-api-burst"), help: "Requests the operator may send at once above --kube-api-qps (only with it). Env VTAG_KUBE_API_BURST. Default 100.")
    var kubeAPIBurst: Int?

    @Flag(name: .customLong("kube-api-http2"), help: "Send requests to the API server over one HTTP/2 connection instead of a pool of HTTP/1.1 connections (for a proxy that limits connections; HTTP/1.1 costs the operator less memory and CPU). Watches use HTTP/1.1 either way. Env VTAG_KUBE_API_HTTP2.")
    var kubeAPIHTTP2 = false

    @Option(help: "json or text. Env VTAG_LOG_FORMAT. Default json.")
    var logFormat: String?

    @Option(help: "trace, debug, info, notice, warning, error, critical. Env VTAG_LOG_LEVEL. Default info.")
    var logLevel: String?
}
