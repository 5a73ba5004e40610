import Foundation
import KubeCore
import Testing
import VTagTestSupport
@testable import K8sClient

/// The controller builder's sources beyond `watch`: predicates, triggers, periodic resync, caches it
/// only waits for, and the adapter that hands reconcile the cached object.
@Suite("Controller builder")
struct RuntimeBuilderTests {
    /// Records the keys reconciled, in order.
    final class Reconciled: Sendable {
        let keys = Shared<[String]>([])
        var names: [String] { keys.value }
        func record(_ key: ObjectKey) -> ReconcileResult {
            keys.with { $0.append(key.name) }
            return .done
        }
    }

    /// Nothing queued, nothing in flight (a handler enqueues before `informer.handle` returns).
    func expectIdle(_ controller: Controller) async throws {
        try await eventually("no reconcile in flight") { await controller.queue.processingCount == 0 }
        #expect(await controller.queue.count == 0)
    }

    @Test func theEchoOfOurOwnWriteIsNotReconciledButOthersWritesAre() async throws {
        let informer = manualInformer(Widget.self)
        let reconciled = Reconciled()
        let ownWrites = OwnWrites()
        let controller = Controller(name: "echo") { reconciled.record($0) }
        controller.watch(informer, predicate: .notOwnWrite(ownWrites))
        let run = Task { try await controller.run() }
        await informer.handle(.restarted([Widget("a", rv: 1)]))
        try await eventually("the listed object reconciled") { reconciled.names == ["a"] }

        // Our write (rv 2) is recorded; its echo passes the store but not the predicate.
        let written = Widget("a", rv: 2, spec: ["v": "ours"])
        informer.store.noteWrite(written)
        ownWrites.record(written)
        await informer.handle(.applied(written))
        #expect(ownWrites.pending == 0)
        try await expectIdle(controller)
        #expect(reconciled.names == ["a"])
        // Someone else's change (rv 3) is reconciled.
        await informer.handle(.applied(Widget("a", rv: 3, spec: ["v": "theirs"])))
        try await eventually("the other writer's change reconciled") { reconciled.names == ["a", "a"] }
        // A write recorded by another controller (not in our OwnWrites) is a change like any other.
        let other = Widget("a", rv: 4, spec: ["v": "other controller"])
        informer.store.noteWrite(other)
        await informer.handle(.applied(other))
        try await eventually("the other controller's write reconciled") { reconciled.names == ["a", "a", "a"] }
        controller.stop()
        try await withDeadline { try await run.value }
    }

    /// The watch often delivers the echo before the write's answer: held while the write is in flight, it is
    /// dropped once the answer shows it was ours; anything else held then (or held for a failed write) is
    /// reconciled through `released`.
    @Test func anEchoThatOutrunsItsAnswerIsHeldAndOthersChangesMeanwhileAreStillReconciled() async throws {
        let informer = manualInformer(Widget.self)
        let reconciled = Reconciled()
        let ownWrites = OwnWrites()
        let controller = Controller(name: "early-echo") { reconciled.record($0) }
        // `watch` reconciles what the predicate releases: no caller wires `ownWrites.released` by hand.
        controller.watch(informer, predicate: .notOwnWrite(ownWrites))
        let run = Task { try await controller.run() }
        await informer.handle(.restarted([Widget("a", rv: 1)]))
        try await eventually("the listed object reconciled") { reconciled.names == ["a"] }
        let key = ObjectKey(namespace: "default", name: "a")

        // Our write (rv 2): its echo comes first, then the answer.
        ownWrites.begin(key)
        let ours = Widget("a", rv: 2, spec: ["v": "ours"])
        await informer.handle(.applied(ours))
        ownWrites.record(ours)
        try await expectIdle(controller)
        #expect(reconciled.names == ["a"], "the echo is not reconciled")
        #expect(ownWrites.echoesSeen == 1)
        #expect(ownWrites.pending == 0, "nothing waits for an echo that has passed")

        // Another writer's change (rv 3) arrives while our next write (rv 4) is in flight: reconciled once the answer is in.
        ownWrites.begin(key)
        await informer.handle(.applied(Widget("a", rv: 3, spec: ["v": "theirs"])))
        try await expectIdle(controller)
        #expect(reconciled.names == ["a"], "held while our write is in flight")
        let next = Widget("a", rv: 4, spec: ["v": "ours again"])
        informer.store.noteWrite(next)
        ownWrites.record(next)
        try await eventually("the other writer's change reconciled") { reconciled.names == ["a", "a"] }

        // A change held for a write that then fails is reconciled too.
        ownWrites.begin(key)
        await informer.handle(.applied(Widget("a", rv: 5, spec: ["v": "theirs again"])))
        ownWrites.abandon(key)
        try await eventually("the change held for a failed write reconciled") { reconciled.names == ["a", "a", "a"] }
        controller.stop()
        try await withDeadline { try await run.value }
    }

    @Test func generationChangedIgnoresStatusOnlyUpdates() async throws {
        let informer = manualInformer(Widget.self)
        let reconciled = Reconciled()
        let controller = Controller(name: "generation") { reconciled.record($0) }
        controller.watch(informer, predicate: .generationChanged)
        let run = Task { try await controller.run() }
        var w = Widget("a", rv: 1)
        w.metadata.generation = 1
        await informer.handle(.restarted([w]))
        try await eventually("listed") { reconciled.names == ["a"] }
        w.metadata.resourceVersion = "2"  // a status write: same generation
        await informer.handle(.applied(w))
        try await expectIdle(controller)
        #expect(reconciled.names == ["a"])
        w.metadata.resourceVersion = "3"
        w.metadata.generation = 2  // a spec change
        await informer.handle(.applied(w))
        try await eventually("the spec change reconciled") { reconciled.names.count == 2 }
        #expect(reconciled.names == ["a", "a"])
        controller.stop()
        try await withDeadline { try await run.value }
    }

    @Test func triggersAndResyncsFeedTheQueueWhileTheControllerRuns() async throws {
        let clock = ManualRuntimeClock()
        let informer = manualInformer(Widget.self)
        let reconciled = Reconciled()
        let trigger = ReconcileTrigger()
        let controller = Controller(.init(name: "fed", workers: 1, clock: clock)) { reconciled.record($0) }
        controller.waitsFor(informer)
        controller.reconcileOn(trigger)
        controller.resync(every: .seconds(60)) { informer.store.keys() }
        let run = Task { try await controller.run() }
        // Fired before the cache synced: kept until the controller starts.
        trigger.fire([ObjectKey(namespace: "default", name: "early")])
        // A cache it only waits for produces no reconciles of its own.
        await informer.handle(.restarted([Widget("cached", rv: 1)]))
        try await eventually("the early trigger reconciled") { reconciled.names == ["early"] }
        trigger.fire([ObjectKey(namespace: "default", name: "later")])
        try await eventually("the later trigger reconciled") { reconciled.names == ["early", "later"] }
        // The resync puts every cached key back once the interval has passed.
        try await eventually("the resync timer armed") { clock.sleeperCount >= 1 }
        clock.advance(by: .seconds(60))
        try await eventually("the resync reconciled the cached object") { reconciled.names == ["early", "later", "cached"] }
        controller.stop()
        try await withDeadline { try await run.value }
    }

    @Test func theAdapterHandsReconcileTheCachedObjectAndGuardsGoneOnes() async throws {
        let store = Store<Widget>()
        let informer = manualInformer(Widget.self, store: store)
        var deleting = Widget("deleting", rv: 2)
        deleting.metadata.deletionTimestamp = Date(timeIntervalSince1970: 1_800_000_000)
        await informer.handle(.restarted([Widget("present", rv: 1, spec: ["v": "1"]), deleting]))
        let seen = Shared<[String]>([])
        let reconcile = CachedObjectReconcile(store, gone: { key in seen.with { $0.append("gone \(key.name)") }; return .done }) { w in
            seen.with { $0.append("present \(w.name) \(w.spec["v"] ?? "")") }
            return .requeue(after: .seconds(5))
        }
        #expect(try await reconcile(ObjectKey(namespace: "default", name: "present")) == .requeue(after: .seconds(5)))
        #expect(try await reconcile(ObjectKey(namespace: "default", name: "deleting")) == .done)
        #expect(try await reconcile(ObjectKey(namespace: "default", name: "absent")) == .done)
        #expect(seen.value == ["present present 1", "gone deleting", "gone absent"])
    }

    @Test func theManagerSharesOneInformerPerKindAndStopsLeaderRunnablesAfterTheControllers() async throws {
        try await withRuntimeTestServer { _, client in
            let manager = Manager(client: client)
            let configMaps = manager.informer(ConfigMap.self)
            #expect(configMaps === manager.informer(ConfigMap.self))
            #expect(manager.cache(ConfigMap.self) === configMaps.store)
            let log = Shared<[String]>([])
            let controller = manager.controller("configmaps") { key in
                log.with { $0.append("reconcile \(key.name)") }
                return .done
            }
            controller.watch(configMaps)
            manager.add(RunnableTask(needsLeaderElection: true, onStop: { log.with { $0.append("leader runnable stopped") } }) {
                await AsyncSignal().wait()
            })
            manager.add(RunnableTask(needsLeaderElection: false) { log.with { $0.append("runs everywhere") } })
            let run = Task { try await manager.run() }
            _ = try await Api<ConfigMap>(client: client, namespace: "default").create(configMap("managed"))
            try await eventually("the controller reconciled the new object") { log.value.contains("reconcile managed") }
            #expect(manager.isLeader)  // no election: this process leads
            #expect(manager.hasSynced)
            #expect(log.value.contains("runs everywhere"))
            manager.stop()
            #expect(try await withDeadline { try await run.value } == .stopped)
            #expect(log.value.last == "leader runnable stopped")
            #expect(!manager.isLeader)
            await #expect(throws: KubeClientError.self) { _ = try await manager.run() }
        }
    }
}
