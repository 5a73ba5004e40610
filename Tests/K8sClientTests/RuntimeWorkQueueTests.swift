import Foundation
import Testing
import VTagTestSupport
@testable import K8sClient

@Suite("WorkQueue")
struct RuntimeWorkQueueTests {
    func makeQueue(_ name: String = "q", clock: any RuntimeClock = ManualRuntimeClock(), metrics: TestMetrics = TestMetrics()) -> WorkQueue<String> {
        WorkQueue(.init(name: name, clock: clock, metricsFactory: metrics))
    }

    @Test func deduplicatesQueuedKeys() async throws {
        let metrics = TestMetrics()
        let q = makeQueue(metrics: metrics)
        await q.add("a")
        await q.add("b")
        await q.add("a")
        #expect(await q.count == 2)
        #expect(await q.next() == "a")
        #expect(await q.next() == "b")
        #expect(await q.count == 0)
        #expect(metrics.value("workqueue_adds_total", [("name", "q")]) == 2)
        #expect(metrics.value("workqueue_depth", [("name", "q")]) == 0)
    }

    /// A burst (a catch-up queues the whole estate) grows the queue's tables; drained, it lets them go, and the
    /// keys promoted from the low lane are handed out once.
    @Test func aDrainedQueueLetsGoOfItsStorageAndStaleEntries() async throws {
        let q = makeQueue()
        let burst = (0..<5_000).map { "r-\($0)" }
        await q.add(contentsOf: burst, lane: .low)
        // Promoted: each leaves a stale entry in the low lane.
        for k in burst.prefix(100) { await q.add(k, lane: .normal) }
        #expect(await q.queuedCapacity >= 5_000)
        var handedOut: [String] = []
        while await q.count > 0, let k = await q.next() {
            handedOut.append(k)
            await q.done(k)
        }
        #expect(handedOut.count == 5_000 && Set(handedOut).count == 5_000)
        #expect(await q.queuedCapacity <= WorkQueue<String>.keptCapacity)
        // Used again after the release: each key once, in order, in both lanes.
        await q.add("b")
        #expect(await q.next() == "b")
        await q.add("a", lane: .low)
        await q.add("r-7", lane: .low)
        #expect(await q.next() == "a")
        #expect(await q.next() == "r-7")
        #expect(await q.count == 0)
    }

    @Test func keyBeingProcessedIsNotHandedOutAgainAndIsReprocessedAfterDone() async throws {
        let q = makeQueue()
        await q.add("a")
        #expect(await q.next() == "a")
        // Changed while a worker has it: must not go to a second worker now...
        await q.add("a")
        await q.add("b")
        #expect(await q.isQueued("a") == false)
        #expect(await q.next() == "b")
        #expect(await q.count == 0)
        // ...but must be processed again afterwards.
        await q.done("a")
        #expect(await q.isQueued("a"))
        #expect(await q.next() == "a")
        await q.done("a")
        await q.done("b")
        #expect(await q.count == 0)
    }

    @Test func neverProcessesAKeyConcurrentlyUnderLoad() async throws {
        let q = WorkQueue<Int>(.init(name: "load", metricsFactory: TestMetrics()))
        let inFlight = Shared(Set<Int>())
        let violations = Shared(0)
        let processed = Shared(0)
        try await withDeadline {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        while let k = await q.next() {
                            let clash = inFlight.with { !$0.insert(k).inserted }
                            if clash { violations.with { $0 += 1 } }
                            await Task.yield()
                            inFlight.with { _ = $0.remove(k) }
                            processed.with { $0 += 1 }
                            await q.done(k)
                        }
                    }
                }
                for i in 0..<2000 {
                    await q.add(i % 13)
                    if i % 50 == 0 { await Task.yield() }
                }
                try? await eventually("queue empty") {
                    let queued = await q.count
                    let busy = await q.processingCount
                    return queued == 0 && busy == 0
                }
                await q.shutDown()
            }
        }
        #expect(violations.value == 0)
        #expect(processed.value >= 13)
    }

    @Test func backoffGrowsExponentiallyAndIsCapped() {
        let base = Duration.milliseconds(5), cap = Duration.seconds(1000)
        #expect(WorkQueue<String>.backoff(failures: 0, base: base, max: cap) == .milliseconds(5))
        #expect(WorkQueue<String>.backoff(failures: 1, base: base, max: cap) == .milliseconds(10))
        #expect(WorkQueue<String>.backoff(failures: 4, base: base, max: cap) == .milliseconds(80))
        #expect(WorkQueue<String>.backoff(failures: 17, base: base, max: cap) == .milliseconds(655_360))
        #expect(WorkQueue<String>.backoff(failures: 18, base: base, max: cap) == cap)
        #expect(WorkQueue<String>.backoff(failures: 1_000, base: base, max: cap) == cap)
    }

    @Test func addRateLimitedDelaysByPerKeyBackoffAndForgetResets() async throws {
        let clock = ManualRuntimeClock()
        let metrics = TestMetrics()
        let q = makeQueue("rl", clock: clock, metrics: metrics)
        var expected = Duration.milliseconds(5)
        for attempt in 1...4 {
            await q.addRateLimited("a")
            let start = clock.now
            #expect(await q.readyTime(of: "a") == start.advanced(by: expected))
            #expect(await q.count == 0)
            #expect(await q.numRequeues("a") == attempt)
            clock.advance(by: expected)
            #expect(await q.next() == "a")
            await q.done("a")
            expected = expected * 2
        }
        // Another key has its own history.
        await q.addRateLimited("b")
        #expect(await q.readyTime(of: "b") == clock.now.advanced(by: .milliseconds(5)))
        await q.forget("a")
        await q.addRateLimited("a")
        #expect(await q.readyTime(of: "a") == clock.now.advanced(by: .milliseconds(5)))
        #expect(metrics.value("workqueue_retries_total", [("name", "rl")]) == 6)
    }

    @Test func addAfterWaitsForTheDelayAndEarliestWins() async throws {
        let clock = ManualRuntimeClock()
        let q = makeQueue(clock: clock)
        await q.addAfter("a", .seconds(10))
        await q.addAfter("a", .seconds(2))
        await q.addAfter("a", .seconds(30))
        #expect(await q.readyTime(of: "a") == clock.now.advanced(by: .seconds(2)))
        #expect(await q.count == 0)
        clock.advance(by: .milliseconds(1999))
        // The timer has not fired: nothing is ready.
        #expect(await q.count == 0)
        #expect(await q.delayedCount == 1)
        clock.advance(by: .milliseconds(1))
        let got = try await withDeadline { await q.next() }
        #expect(got == "a")
        #expect(await q.delayedCount == 0)
    }

    @Test func watchEventsAreNotStarvedByAnInitialListFlood() async throws {
        let q = makeQueue()
        for i in 0..<10_000 { await q.add("listed-\(i)", lane: .low) }
        await q.add("changed")
        // The live change goes first although 10,000 listed keys were queued before it.
        #expect(await q.next() == "changed")
        // A listed key that changes is promoted out of the low lane.
        await q.add("listed-9999")
        #expect(await q.next() == "listed-9999")
        // The low lane still progresses while live changes keep coming: one in eight pops.
        var lowServed = 0
        for i in 0..<80 {
            await q.add("live-\(i)")
            let k = try #require(await q.next())
            if k.hasPrefix("listed-") { lowServed += 1 }
            await q.done(k)
        }
        #expect(lowServed >= 8)
        #expect(lowServed <= 20)
        // Every iteration added one key and took one: the 9,999 still queued are all there.
        #expect(await q.count == 9_999)
    }

    @Test func shutDownStopsIntakeAndWakesWaitingWorkers() async throws {
        let q = makeQueue()
        let waiter = Task { await q.next() }
        try await eventually("worker waiting") { await q.count == 0 }
        await q.shutDown()
        #expect(await waiter.value == nil)
        await q.add("late")
        #expect(await q.count == 0)
        #expect(await q.next() == nil)
    }

    @Test func shutDownWithDrainWaitsForInFlightWork() async throws {
        let q = makeQueue()
        await q.add("a")
        #expect(await q.next() == "a")
        let drain = Task { await q.shutDownWithDrain(timeout: .seconds(60)) }
        try await eventually("shutting down") { await q.isShuttingDown }
        await q.add("a")  // dropped: intake stopped
        await q.done("a")
        #expect(await drain.value == true)
        #expect(await q.count == 0)
    }

    @Test func shutDownWithDrainGivesUpAtTheDeadline() async throws {
        let clock = ManualRuntimeClock()
        let q = makeQueue(clock: clock)
        await q.add("stuck")
        #expect(await q.next() == "stuck")
        let drain = Task { await q.shutDownWithDrain(timeout: .seconds(5)) }
        try await eventually("drain deadline armed") { clock.sleeperCount >= 1 }
        clock.advance(by: .seconds(5))
        #expect(try await withDeadline { await drain.value } == false)
    }

    @Test func cancelledWorkerStopsWaiting() async throws {
        let q = makeQueue()
        let waiter = Task { await q.next() }
        try await Task.sleep(for: .milliseconds(10))
        waiter.cancel()
        #expect(try await withDeadline { await waiter.value } == nil)
        // The queue still works for others.
        await q.add("x")
        #expect(await q.next() == "x")
    }
}
