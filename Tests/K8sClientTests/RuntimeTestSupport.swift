import CoreMetrics
import Foundation
import KubeCore
import Testing
import VTagTestSupport
@testable import K8sClient
import KubeTestServer

/// Polls `condition` until it holds or `timeout` passes (wall time; a bound, never a measurement).
func eventually(
    timeout: Duration = .seconds(60), _ what: String = "condition",
    _ condition: @Sendable () async throws -> Bool
) async throws {
    if try await waitUntil(timeout: timeout, poll: .milliseconds(5), condition) { return }
    Issue.record("timed out after \(timeout) waiting for \(what)")
    throw TimedOut(what: what)
}

struct TimedOut: Error { let what: String }

/// An in-memory metrics backend, injected per test (no global bootstrap: tests run in parallel).
final class TestMetrics: MetricsFactory, Sendable {
    private let values = Locked<[String: Double]>([:])
    private let samples = Locked<[String: Int]>([:])
    private let made = Locked(0)

    /// How many metric handlers were asked for (each Counter, Timer, ... made with this factory).
    var handlersMade: Int { made.withLock { $0 } }

    static func id(_ label: String, _ dims: [(String, String)]) -> String {
        label + "{" + dims.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}"
    }

    /// Current value of a counter, gauge or meter; for timers and recorders the number of samples.
    func value(_ label: String, _ dims: [(String, String)] = []) -> Double {
        let key = Self.id(label, dims)
        return values.withLock { $0[key] } ?? Double(samples.withLock { $0[key] } ?? 0)
    }

    func sampleCount(_ label: String, _ dims: [(String, String)] = []) -> Int {
        samples.withLock { $0[Self.id(label, dims)] } ?? 0
    }

    fileprivate func add(_ key: String, _ d: Double) { values.withLock { $0[key, default: 0] += d } }
    fileprivate func set(_ key: String, _ d: Double) { values.withLock { $0[key] = d } }
    fileprivate func sample(_ key: String) { samples.withLock { $0[key, default: 0] += 1 } }

    final class Handler: CounterHandler, FloatingPointCounterHandler, MeterHandler, RecorderHandler, TimerHandler, Sendable {
        let key: String
        let sink: TestMetrics
        let isSampler: Bool
        init(_ key: String, _ sink: TestMetrics, sampler: Bool) { self.key = key; self.sink = sink; self.isSampler = sampler }
        func increment(by: Int64) { sink.add(key, Double(by)) }
        func increment(by: Double) { sink.add(key, by) }
        func decrement(by: Double) { sink.add(key, -by) }
        func reset() { sink.set(key, 0) }
        func set(_ value: Int64) { sink.set(key, Double(value)) }
        func set(_ value: Double) { sink.set(key, value) }
        func record(_ value: Int64) { isSampler ? sink.sample(key) : sink.set(key, Double(value)) }
        func record(_ value: Double) { isSampler ? sink.sample(key) : sink.set(key, value) }
        func recordNanoseconds(_ duration: Int64) { sink.sample(key) }
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        made.withLock { $0 += 1 }
        return Handler(Self.id(label, dimensions), self, sampler: false)
    }
    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler { Handler(Self.id(label, dimensions), self, sampler: false) }
    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler { Handler(Self.id(label, dimensions), self, sampler: false) }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler { Handler(Self.id(label, dimensions), self, sampler: aggregate) }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        made.withLock { $0 += 1 }
        return Handler(Self.id(label, dimensions), self, sampler: true)
    }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}

/// A thread-safe box for test bookkeeping shared with concurrent tasks.
final class Shared<Value: Sendable>: Sendable {
    private let m: Locked<Value>
    init(_ v: Value) { m = Locked(v) }
    func with<R: Sendable>(_ f: (inout Value) -> R) -> R { m.withLock { f(&$0) } }
    var value: Value { m.withLock { $0 } }
}

/// A small namespaced kind for cache and controller tests that need no server.
struct Widget: KubernetesObject, Hashable {
    static let resource = ResourceDescriptor(group: "test.vtag.dev", version: "v1", kind: "Widget", plural: "widgets", namespaced: true)
    var apiVersion: String? = Self.resource.apiVersion
    var kind: String? = Self.resource.kind
    var metadata: ObjectMeta
    var spec: [String: String] = [:]

    init(_ name: String, namespace: String = "default", rv: Int, labels: [String: String]? = nil,
         owner: OwnerReference? = nil, spec: [String: String] = [:]) {
        metadata = ObjectMeta(name: name, namespace: namespace, uid: "uid-\(namespace)-\(name)", resourceVersion: String(rv),
                              labels: labels, ownerReferences: owner.map { [$0] })
        self.spec = spec
    }
}

/// A cluster-scoped owner kind for owner-reference mapping tests.
struct Gadget: KubernetesObject, Hashable {
    static let resource = ResourceDescriptor(group: "test.vtag.dev", version: "v1", kind: "Gadget", plural: "gadgets", namespaced: false)
    var apiVersion: String? = Self.resource.apiVersion
    var kind: String? = Self.resource.kind
    var metadata: ObjectMeta
}

/// An informer fed by hand (`handle`) instead of a watch.
func manualInformer<T: KubernetesObject>(_ type: T.Type = T.self, store: Store<T> = Store()) -> Informer<T> {
    Informer(store: store) { AsyncThrowingStream { _ in } }
}

/// Runs `body` against a fresh in-process API server and a client for it; shuts the server down after.
func withRuntimeTestServer<R: Sendable>(
    timeout: Duration = .seconds(180), _ body: @escaping @Sendable (KubeAPITestServer, KubeClient) async throws -> R
) async throws -> R {
    let server = try await KubeAPITestServer.start()
    do {
        let client = try KubeClient(configuration: ClientConfiguration.load(kubeconfigPath: server.kubeconfigPath, environment: [:]))
        let r = try await withDeadline(timeout) { try await body(server, client) }
        try? await server.shutdown()
        return r
    } catch {
        try? await server.shutdown()
        throw error
    }
}

func configMap(_ name: String, namespace: String = "default", data: [String: String] = [:], labels: [String: String]? = nil) -> ConfigMap {
    ConfigMap(metadata: ObjectMeta(name: name, namespace: namespace, labels: labels), data: data)
}
