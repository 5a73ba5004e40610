import KubeCore
import Metrics

/// client-go's REST client metrics (`rest_client_requests_total{code,method}`,
/// `rest_client_request_duration_seconds{verb}`), with one Counter and one Timer kept per label set:
/// making them anew for every request (a lookup in the metrics backend, its label arrays and strings) was
/// 0.7 % of the operator's CPU on a first discovery. The factory is the one bootstrapped when the client
/// was made.
final class RequestMetrics: Sendable {
    private struct CounterKey: Hashable {
        var code: String
        var method: String
    }

    private let factory: any MetricsFactory
    private let counters = Locked<[CounterKey: Counter]>([:])
    private let timers = Locked<[String: Metrics.Timer]>([:])

    init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
    }

    /// Counts one answer (`code` is the status code, or "<error>" when none came) and its duration.
    func record(code: String, method: String, verb: String, nanoseconds: Int64) {
        counter(code: code, method: method).increment()
        timer(verb: verb).recordNanoseconds(nanoseconds)
    }

    private func counter(code: String, method: String) -> Counter {
        let key = CounterKey(code: code, method: method)
        if let counter = counters.withLock({ $0[key] }) { return counter }
        let made = Counter(label: "rest_client_requests_total", dimensions: [("code", code), ("method", method)], factory: factory)
        return counters.withLock { cached in
            if let counter = cached[key] { return counter }
            cached[key] = made
            return made
        }
    }

    private func timer(verb: String) -> Metrics.Timer {
        if let timer = timers.withLock({ $0[verb] }) { return timer }
        let made = Metrics.Timer(label: "rest_client_request_duration_seconds", dimensions: [("verb", verb)], factory: factory)
        return timers.withLock { cached in
            if let timer = cached[verb] { return timer }
            cached[verb] = made
            return made
        }
    }
}
