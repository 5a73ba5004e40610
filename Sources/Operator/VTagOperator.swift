import ArgumentParser
import Foundation
import Inference
import K8sClient
import Logging
import Metrics
import Prometheus
import Reconcilers
import ServiceLifecycle

/// The operator's command line. Its entry point is OperatorMain: this module is a library, so the
/// tests can import it without linking the statically linked executable's settings (Package.swift).
public struct VTagOperator: AsyncParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "vtag-operator",
        abstract: "Inventories cloud resources and tags them: the vtag Kubernetes operator.",
        discussion: """
            Every flag falls back to an environment variable and then a default (see each flag).
            Example:  vtag-operator --kubeconfig ~/.kube/config --namespace finops --log-format text
            """)

    @OptionGroup var options: OperatorOptions

    public func run() async throws {
        MemoryArenas.limit()
        let config: OperatorConfig
        do {
            config = try OperatorConfig.resolve(options, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.description)
        }
        let logLevel = Logger.Level(rawValue: config.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            switch config.logFormat {
            case .json: return JSONLogHandler(label: label, level: logLevel)
            case .text:
                var h = StreamLogHandler.standardError(label: label)
                h.logLevel = logLevel
                return h
            }
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "vtag.operator")

        let client: KubeClient
        do {
            // The flag, else KUBECONFIG (a colon-separated list), in-cluster, ~/.kube/config.
            var clientConfiguration = try ClientConfiguration.load(kubeconfigPath: options.kubeconfig, context: config.context)
            if let qps = config.kubeAPIQPS {
                clientConfiguration.qps = qps
                clientConfiguration.burst = config.kubeAPIBurst
            } else {
                clientConfiguration.adaptivePacing = AdaptivePacing.Settings()
            }
            clientConfiguration.http2 = config.kubeAPIHTTP2
            client = try KubeClient(configuration: clientConfiguration, logger: Logger(label: "vtag.client"))
        } catch {
            logger.critical("cannot configure the Kubernetes client", metadata: ["error": "\(error)"])
            throw ExitCode(2)
        }

        do {
            try await HomeNamespaceCheck.verify(config.leaderElectionNamespace, client: client, logger: logger)
        } catch {
            logger.critical("the operator's namespace is missing", metadata: ["error": "\(error.description)"])
            throw ExitCode(2)
        }

        let readiness = ReadinessGate(checks: VTagManager.cacheNames.map { "cache/\($0)" })
        let manager = try VTagManager(client: client, settings: config.managerSettings { readiness.markReady("cache/\($0)") })

        var services: [any Service] = []
        if let address = config.probeAddress {
            services.append(ProbeServers.probes(address: address, readiness: readiness, logger: Logger(label: "vtag.probes")) { port in
                logger.info("serving probes", metadata: ["address": "\(address.host):\(port)", "port": "\(port)"])
            })
        }
        if let address = config.metricsAddress {
            services.append(ProbeServers.metrics(address: address, registry: registry, logger: Logger(label: "vtag.metrics")) { port in
                logger.info("serving metrics", metadata: ["address": "\(address.host):\(port)", "port": "\(port)"])
            })
        }
        services.append(MemoryTrimService(interval: .seconds(5)))
        // Graceful shutdown runs in reverse order: readiness turns off first, then the manager drains
        // and releases the lease, and the probe and metrics servers stay up until it has.
        services.append(ManagerService(manager: manager))
        services.append(ShutdownWatcher(readiness: readiness))
        logger.info(
            "starting",
            metadata: [
                "namespaces": .string(config.namespaces.isEmpty ? "all" : config.namespaces.joined(separator: ",")),
                "autoApplyThreshold": .stringConvertible(config.autoApplyThreshold),
                "reviewThreshold": .stringConvertible(config.reviewThreshold),
                "requiredKeys": .string(config.requiredKeys.joined(separator: ",")),
                "leaderElect": .stringConvertible(config.leaderElect),
                "identity": .string(config.identity),
                "server": .string(client.configuration.server.absoluteString),
            ])

        var groupConfig = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        groupConfig.maximumGracefulShutdownDuration = config.shutdownDeadline
        try await ServiceGroup(configuration: groupConfig).run()
        logger.info("stopped")
    }
}

/// Runs the manager as a service: graceful shutdown (SIGTERM) becomes `stop()`.
struct ManagerService: Service {
    let manager: VTagManager

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await manager.run()
        } onGracefulShutdown: {
            manager.stop()
        }
    }
}

/// Turns readiness off as soon as graceful shutdown begins, so the Service stops routing to a
/// replica that is draining.
struct ShutdownWatcher: Service {
    let readiness: ReadinessGate

    func run() async throws {
        try? await gracefulShutdown()
        readiness.beginShutdown()
    }
}
