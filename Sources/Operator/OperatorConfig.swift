import Foundation
import Inference
import KubeCore
import Reconcilers
import TaggingAPI

/// The operator's validated configuration: flags first, then environment variables, then defaults.
struct OperatorConfig: Sendable, Equatable {
    var kubeconfig: String?
    var context: String?
    /// Namespaces to watch; empty means all.
    var namespaces: [String]
    var metricsAddress: BindAddress?
    var probeAddress: BindAddress?
    var leaderElect: Bool
    var leaderElectionNamespace: String
    var leaderElectionID: String
    var identity: String
    var autoApplyThreshold: Double
    var reviewThreshold: Double
    var requiredKeys: [String]
    var reevaluateInterval: Duration
    /// How long the first model waits for a first discovery in flight (`ModelLifecycle.run`'s patience).
    var firstModelWait: Duration
    var approvalTTL: Duration
    var shutdownDeadline: Duration
    var workers: Int
    /// A fixed client-side rate limit towards the API server (client-go's QPS and Burst); nil: adaptive
    /// pacing (`AdaptivePacing`: as fast as the server answers, slower on 429 and slow answers).
    var kubeAPIQPS: Double?
    var kubeAPIBurst: Int
    /// Requests over one HTTP/2 connection instead of a pool of HTTP/1.1 connections (`ClientConfiguration.http2`).
    var kubeAPIHTTP2: Bool
    var logFormat: LogFormat
    var logLevel: String

    enum LogFormat: String, Sendable, CaseIterable { case json, text }

    /// A listen address: `:8080`, `127.0.0.1:8080`, `[::1]:8080`; "0" disables the server
    /// (controller-runtime's convention for --metrics-bind-address).
    struct BindAddress: Sendable, Equatable, CustomStringConvertible {
        var host: String
        var port: Int

        var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

        static func parse(_ text: String, option: String) throws(OperatorError) -> BindAddress? {
            if text == "0" { return nil }
            guard let colon = text.lastIndex(of: ":") else {
                throw .invalidBindAddress(option: option, text: text, problem: "must be HOST:PORT or :PORT (e.g. :8080), or 0 to disable")
            }
            var host = String(text[..<colon])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            if host.isEmpty { host = "0.0.0.0" }
            guard let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
                throw .invalidBindAddress(option: option, text: text, problem: "has no valid port (0-65535)")
            }
            return BindAddress(host: host, port: port)
        }
    }

    /// Resolves each setting as flag, else environment variable, else default; validates all of them
    /// and reports every problem at once, naming where the bad value came from.
    static func resolve(_ o: OperatorOptions, environment env: [String: String]) throws(OperatorError) -> OperatorConfig {
        var problems: [String] = []
        func pick(_ flag: String?, _ envName: String) -> (value: String, origin: String)? {
            if let flag { return (flag, "flag") }
            if let v = env[envName], !v.isEmpty { return (v, "environment variable \(envName)") }
            return nil
        }
        func threshold(_ flag: Double?, _ envName: String, _ option: String, _ def: Double) -> Double {
            if let flag {
                if !(0...1).contains(flag) { problems.append("\(option) must be within [0, 1], got \(flag)") }
                return flag
            }
            guard let raw = env[envName], !raw.isEmpty else { return def }
            guard let v = Double(raw), (0...1).contains(v) else {
                problems.append("\(envName)=\(raw) (for \(option)) must be a number within [0, 1]")
                return def
            }
            return v
        }
        func duration(_ flag: String?, _ envName: String, _ option: String, _ def: String) -> Duration {
            let (text, origin) = pick(flag, envName) ?? (def, "default")
            do {
                let d = try GoDuration.parseDuration(text)
                if d <= .zero { problems.append("\(option) must be positive, got \(text) (\(origin))") }
                return d
            } catch {
                problems.append("\(option): \(error.description) (\(origin))")
                return .seconds(1)
            }
        }
        func address(_ flag: String?, _ envName: String, _ option: String, _ def: String) -> BindAddress? {
            do { return try BindAddress.parse(pick(flag, envName)?.value ?? def, option: option) } catch {
                problems.append(error.description)
                return nil
            }
        }
        func bool(_ flag: Bool, _ envName: String) -> Bool {
            if flag { return true }
            guard let raw = env[envName]?.lowercased(), !raw.isEmpty else { return false }
            if ["1", "true", "yes", "on"].contains(raw) { return true }
            if ["0", "false", "no", "off"].contains(raw) { return false }
            problems.append("\(envName)=\(raw) must be true or false")
            return false
        }
        func list(_ flag: [String], _ envName: String) -> [String] {
            let raw = flag.isEmpty ? (env[envName].map { [$0] } ?? []) : flag
            return raw.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }

        let auto = threshold(o.autoApplyThreshold, "AUTO_APPLY_THRESHOLD", "--auto-apply-threshold", 0.90)
        let review = threshold(o.reviewThreshold, "MANUAL_REVIEW_THRESHOLD", "--review-threshold", 0.70)
        if review > auto {
            problems.append("--review-threshold (\(review)) must not exceed --auto-apply-threshold (\(auto)): suggestions sit between them")
        }
        var required = list(o.requiredKeys, "REQUIRED_KEYS")
        if required.isEmpty { required = VTag.defaultRequiredKeys }
        for key in required where !Self.isValidTagKey(key) {
            problems.append("required key \"\(key)\" is not a valid tag key (letters, digits, '-', '_', '.', '/', ':'; at most 128)")
        }
        let workersText = pick(o.workers.map(String.init), "VTAG_WORKERS")?.value ?? "4"
        let workers = Int(workersText) ?? 0
        if workers < 1 || workers > 256 { problems.append("--workers must be between 1 and 256, got \(workersText)") }
        let qpsText = pick(o.kubeAPIQPS.map { String($0) }, "VTAG_KUBE_API_QPS")?.value
        let qps = qpsText.map { Double($0) ?? 0 }
        if let qpsText, let qps, !(qps > 0 && qps <= 10_000) {
            problems.append("--kube-api-qps must be a number above 0 and at most 10000, got \(qpsText)")
        }
        let burstText = pick(o.kubeAPIBurst.map(String.init), "VTAG_KUBE_API_BURST")?.value ?? "100"
        let burst = Int(burstText) ?? 0
        if burst < 1 || burst > 100_000 { problems.append("--kube-api-burst must be between 1 and 100000, got \(burstText)") }
        let formatText = pick(o.logFormat, "VTAG_LOG_FORMAT")?.value ?? "json"
        let format = LogFormat(rawValue: formatText.lowercased())
        if format == nil { problems.append("--log-format must be json or text, got \(formatText)") }
        let level = (pick(o.logLevel, "VTAG_LOG_LEVEL")?.value ?? "info").lowercased()
        if !["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(level) {
            problems.append("--log-level must be one of trace, debug, info, notice, warning, error, critical; got \(level)")
        }

        let config = OperatorConfig(
            kubeconfig: o.kubeconfig ?? env["KUBECONFIG"].flatMap { $0.isEmpty ? nil : $0 },
            context: o.context,
            namespaces: list(o.namespace, "VTAG_NAMESPACES"),
            metricsAddress: address(o.metricsAddress, "VTAG_METRICS_ADDRESS", "--metrics-address", ":8080"),
            probeAddress: address(o.probeAddress, "VTAG_PROBE_ADDRESS", "--probe-address", ":8081"),
            leaderElect: bool(o.leaderElect, "VTAG_LEADER_ELECT"),
            leaderElectionNamespace: pick(o.leaderElectionNamespace, "POD_NAMESPACE")?.value ?? "vtag-system",
            leaderElectionID: o.leaderElectionID ?? "vtag-operator-leader",
            identity: env["POD_NAME"].flatMap { $0.isEmpty ? nil : $0 }
                ?? "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)",
            autoApplyThreshold: auto,
            reviewThreshold: review,
            requiredKeys: required,
            reevaluateInterval: duration(o.reevaluateInterval, "VTAG_REEVALUATE_INTERVAL", "--reevaluate-interval", "1h"),
            firstModelWait: duration(o.firstModelWait, "VTAG_FIRST_MODEL_WAIT", "--first-model-wait", "5m"),
            approvalTTL: duration(o.approvalTTL, "VTAG_APPROVAL_TTL", "--approval-ttl", "168h"),
            shutdownDeadline: duration(o.shutdownDeadline, "VTAG_SHUTDOWN_DEADLINE", "--shutdown-deadline", "30s"),
            workers: workers,
            kubeAPIQPS: qps,
            kubeAPIBurst: burst,
            kubeAPIHTTP2: bool(o.kubeAPIHTTP2, "VTAG_KUBE_API_HTTP2"),
            logFormat: format ?? .json,
            logLevel: level
        )
        if !problems.isEmpty {
            throw .invalidConfiguration(problems: problems)
        }
        return config
    }

    static func isValidTagKey(_ key: String) -> Bool {
        guard !key.isEmpty, key.utf8.count <= 128 else { return false }
        return key.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_./:".unicodeScalars.contains($0)) }
    }

    /// The manager's settings for this configuration; `onCacheSynced` feeds readiness.
    func managerSettings(onCacheSynced: @escaping @Sendable (String) -> Void) -> VTagManager.Settings {
        let tagging = TaggingSettings(
            inference: InferenceConfig(thresholds: Thresholds(autoApply: autoApplyThreshold, suggest: reviewThreshold), requiredKeys: requiredKeys),
            reevaluateInterval: reevaluateInterval, approvalTTL: approvalTTL,
            // The model lives next to the operator (its namespace is the lease's: POD_NAMESPACE).
            modelNamespace: leaderElectionNamespace)
        return VTagManager.Settings(
            namespaces: namespaces, tagging: tagging, workers: workers,
            leaderElection: leaderElect ? .init(leaseNamespace: leaderElectionNamespace, leaseName: leaderElectionID) : nil,
            shutdownDeadline: shutdownDeadline, identity: identity, firstModelWait: firstModelWait, onCacheSynced: onCacheSynced)
    }
}
