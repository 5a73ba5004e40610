import Foundation
import KubeCore
import Testing
import VTagTestSupport
@testable import K8sClient

@Suite("Controller loop")
struct RuntimeControllerTests {
    struct Flaky: Error {}

    /// Starts `controller.run()` in a task; the caller stops it.
    func start(_ controller: Controller) -> Task<Void, any Error> {
        Task { try await controller.run() }
    }

    @Test func errorIsRetriedWithBackoffUntilSuccess() async throws {
        let metrics = TestMetrics()
        let attempts = Shared(0)
        let controller = Controller(.init(name: "retry", workers: 2, metricsFactory: metrics)) { _ in
            let n = attempts.with { $0 += 1; return $0 }
            if n < 3 { throw Flaky() }
            return .done
        }
        let run = start(controller)
        await controller.enqueue(ObjectKey(namespace: "ns", name: "a"))
        let dims = [("controller", "retry")]
        try await eventually("success recorded") { metrics.value("controller_runtime_reconcile_total", dims + [("result", "success")]) == 1 }
        #expect(attempts.value == 3)
        #expect(metrics.value("controller_runtime_reconcile_errors_total", dims) == 2)
        #expect(metrics.value("controller_runtime_reconcile_total", dims + [("result", "error")]) == 2)
        #expect(metrics.value("workqueue_retries_total", [("name", "retry")]) == 2)
        #expect(metrics.sampleCount("controller_runtime_reconcile_time_seconds", dims) == 3)
        #expect(metrics.value("controller_runtime_max_concurrent_reconciles", dims) == 2)
        // Success forgets the failure history.
        #expect(await controller.queue.numRequeues(ObjectKey(namespace: "ns", name: "a")) == 0)
        controller.stop()
        try await withDeadline { try await run.value }
    }

    @Test func terminalErrorIsCountedButNotRetried() async throws {
        let metrics = TestMetrics()
        let attempts = Shared(0)
        let controller = Controller(.init(name: "terminal", metricsFactory: metrics)) { _ in
            attempts.with { $0 += 1 }
            throw TerminalError("spec.regex does not compile")
        }
        let run = start(controller)
        let key = ObjectKey(namespace: nil, name: "bad")
        await controller.enqueue(key)
        let dims = [("controller", "terminal")]
        try await eventually("error recorded") { metrics.value("controller_runtime_reconcile_total", dims + [("result", "error")]) == 1 }
        try await eventually("worker done") { await controller.queue.processingCount == 0 }
        #expect(await controller.queue.delayedCount == 0)
        #expect(await controller.queue.count == 0)
        #expect(await controller.queue.numRequeues(key) == 0)
        #expect(metrics.value("controller_runtime_terminal_reconcile_errors_total", dims) == 1)
        #expect(metrics.value("controller_runtime_reconcile_errors_total", dims) == 1)
        #expect(attempts.value == 1)
        controller.stop()
        try await withDeadline { try await run.value }
    }

    @Test func requeueAfterSchedulesTheKey() async throws {
        let clock = ManualRuntimeClock()
        let metrics = TestMetrics()
        let attempts = Shared(0)
        let controller = Controller(.init(name: "requeue", clock: clock, metricsFactory: metrics)) { _ in
            attempts.with { $0 += 1 }
            return .requeue(after: .seconds(60))
        }
        let run = start(controller)
        let key = ObjectKey(namespace: "ns", name: "a")
        await controller.enqueue(key)
        try await eventually("requeue scheduled") { await controller.queue.readyTime(of: key) != nil }
        #expect(await controller.queue.readyTime(of: key) == clock.now.advanced(by: .seconds(60)))
        #expect(attempts.value == 1)
        clock.advance(by: .seconds(60))
        try await eventually("reconciled again") { attempts.value == 2 }
        #expect(metrics.value("controller_runtime_reconcile_total", [("controller", "requeue"), ("result", "requeue_after")]) >= 1)
        controller.stop()
        try await withDeadline { try await run.value }
    }

    @Test func workersReconcileDifferentKeysConcurrently() async throws {
        let running = Shared(Set<String>())
        let maxSeen = Shared(0)
        let controller = Controller(.init(name: "parallel", workers: 4, metricsFactory: TestMetrics())) { key in
            let n = running.with { $0.insert(key.name); return $0.count }
            maxSeen.with { $0 = max($0, n) }
            // Hold until a second reconcile runs alongside (bounded wait).
            let deadline = ContinuousClock.now.advanced(by: .seconds(5))
            while maxSeen.value < 2 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(2)) }
            running.with { _ = $0.remove(key.name) }
            return .done
        }
        let run = start(controller)
        await controller.enqueue(ObjectKey(namespace: "ns", name: "a"))
        await controller.enqueue(ObjectKey(namespace: "ns", name: "b"))
        try await eventually("both ran together") { maxSeen.value >= 2 }
        controller.stop()
        try await withDeadline { try await run.value }
    }

    @Test func sourcesMapPrimaryOwnedAndMappedEventsToKeys() async throws {
        let reconciled = Shared<[ObjectKey]>([])
        let controller = Controller(.init(name: "sources", metricsFactory: TestMetrics())) { key in
            reconciled.with { $0.append(key) }
            return .done
        }
        let gadgets = manualInformer(Gadget.self)
        let widgets = manualInformer(Widget.self)
        let rules = manualInformer(Widget.self)
        controller.watch(gadgets)
        controller.owns(widgets, owner: Gadget.self)
        controller.watches(rules) { rule in
            (rule.spec["targets"] ?? "").split(separator: ",").map { ObjectKey(namespace: nil, name: String($0)) }
        }
        let run = start(controller)
        // Workers wait for every source to sync.
        try await Task.sleep(for: .milliseconds(20))
        #expect(!controller.isStarted)
        await gadgets.handle(.restarted([Gadget(metadata: ObjectMeta(name: "g1", uid: "u1", resourceVersion: "1"))]))
        await widgets.handle(.restarted([]))
        await rules.handle(.restarted([]))
        try await eventually("started") { controller.isStarted }
        try await eventually("primary reconciled") { reconciled.value.contains(ObjectKey(namespace: nil, name: "g1")) }

        let ownerRef = OwnerReference(apiVersion: "test.vtag.dev/v1", kind: "Gadget", name: "g2", uid: "u2", controller: true)
        let foreignRef = OwnerReference(apiVersion: "other.dev/v1", kind: "Gadget", name: "not-ours", uid: "u3", controller: true)
        await widgets.handle(.applied(Widget("w1", namespace: "ns", rv: 2, owner: ownerRef)))
        await widgets.handle(.applied(Widget("w2", namespace: "ns", rv: 3, owner: foreignRef)))
        await rules.handle(.applied(Widget("r1", rv: 4, spec: ["targets": "g3,g4"])))
        try await eventually("owned and mapped reconciled") {
            Set(reconciled.value).isSuperset(of: ["g2", "g3", "g4"].map { ObjectKey(namespace: nil, name: $0) })
        }
        #expect(!reconciled.value.contains(ObjectKey(namespace: nil, name: "not-ours")))
        // A rule that stops targeting g4 still enqueues g4 (old and new are both mapped).
        let before = reconciled.value.filter { $0.name == "g4" }.count
        await rules.handle(.applied(Widget("r1", rv: 5, spec: ["targets": "g3"])))
        try await eventually("g4 enqueued by the old state") { reconciled.value.filter { $0.name == "g4" }.count > before }
        controller.stop()
        try await withDeadline { try await run.value }
    }

    @Test func ownerKeysUseTheOwnersScope() {
        let ref = OwnerReference(apiVersion: "test.vtag.dev/v1", kind: "Widget", name: "parent", uid: "u", controller: true)
        let notController = OwnerReference(apiVersion: "test.vtag.dev/v1", kind: "Widget", name: "other", uid: "v", controller: false)
        var child = Widget("child", namespace: "ns", rv: 1, owner: ref)
        child.metadata.ownerReferences?.append(notController)
        #expect(Controller.controllerOwnerKeys(of: child, owner: Widget.self) == [ObjectKey(namespace: "ns", name: "parent")])
        #expect(Controller.controllerOwnerKeys(of: child, owner: Gadget.self).isEmpty)
    }

    @Test func stopLetsInFlightReconcilesFinish() async throws {
        let release = AsyncSignal()
        let finished = Shared(false)
        let controller = Controller(.init(name: "drain", drainTimeout: .seconds(30), metricsFactory: TestMetrics())) { _ in
            await release.wait()
            finished.with { $0 = true }
            return .done
        }
        let run = start(controller)
        await controller.enqueue(ObjectKey(namespace: nil, name: "slow"))
        try await eventually("in flight") { await controller.queue.processingCount == 1 }
        controller.stop()
        try await eventually("intake stopped") { await controller.queue.isShuttingDown }
        #expect(!finished.value)
        release.signal()
        try await withDeadline { try await run.value }
        #expect(finished.value)
    }

    @Test func drainTimeoutCancelsStuckReconciles() async throws {
        let clock = ManualRuntimeClock()
        let cancelled = Shared(false)
        let controller = Controller(.init(name: "stuck", drainTimeout: .seconds(5), clock: clock, metricsFactory: TestMetrics())) { _ in
            do { try await Task.sleep(for: .seconds(600)) } catch { cancelled.with { $0 = true }; throw error }
            return .done
        }
        let run = start(controller)
        await controller.enqueue(ObjectKey(namespace: nil, name: "stuck"))
        try await eventually("in flight") { await controller.queue.processingCount == 1 }
        controller.stop()
        try await eventually("intake stopped") { await controller.queue.isShuttingDown }
        try await eventually("drain deadline armed") { clock.sleeperCount >= 1 }
        clock.advance(by: .seconds(5))
        try await withDeadline { try await run.value }
        #expect(cancelled.value)
    }
}
