import Hummingbird
import Logging
import Prometheus

/// The two small HTTP servers every operator has: probes (/healthz, /readyz and their aliases
/// /health, /readiness) and Prometheus metrics (/metrics), on separate addresses so the metrics
/// port can be exposed through a Service while probes stay kubelet-only.
enum ProbeServers {
    static func probes(
        address: OperatorConfig.BindAddress, readiness: ReadinessGate, logger: Logger,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        for path in ["/healthz", "/health"] {
            router.get(RouterPath(path)) { _, _ in "ok\n" }
        }
        for path in ["/readyz", "/readiness"] {
            router.get(RouterPath(path)) { _, _ -> Response in
                if let reason = readiness.notReadyReason {
                    return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "not ready: \(reason)\n")))
                }
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
            }
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: "vtag-probes"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    static func metrics(
        address: OperatorConfig.BindAddress, registry: PrometheusCollectorRegistry, logger: Logger,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: "vtag-metrics"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }
}
