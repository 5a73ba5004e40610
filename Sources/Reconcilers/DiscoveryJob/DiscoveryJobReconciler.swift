import Discovery
import Foundation
import K8sClient
import KubeCore
import Logging
import Metrics
import TaggingAPI

/// Reconciles DiscoveryJobs: decides when a run starts (RunPlanner), claims it durably in
/// `status.activeRun`, runs it in the background (DiscoveryRunExecutor) and records the outcome.
/// A reconcile never waits for a run: the run's final status write wakes the job up again.
public final class DiscoveryJobReconciler: Sendable {

    let client: KubeClient
    let jobs: Store<DiscoveryJob>
    let resources: Store<CloudResource>
    let events: EventRecorder?
    let runs = RunRegistry()
    let executor: DiscoveryRunExecutor
    let now: @Sendable () -> Date
    let logger: Logger

    public init(
        client: KubeClient, jobs: Store<DiscoveryJob>, resources: Store<CloudResource>, events: EventRecorder?,
        providers: @escaping ProviderFactory, references: ReferenceReader? = nil, writeConcurrency: Int = 16,
        now: @escaping @Sendable () -> Date = { Date() }, logger: Logger = Logger(label: "vtag.discovery")
    ) {
        self.client = client
        self.jobs = jobs
        self.resources = resources
        self.events = events
        self.now = now
        self.logger = logger
        self.executor = DiscoveryRunExecutor(
            client: client, jobs: jobs, resources: resources, events: events, providers: providers,
            references: references ?? ReferenceReader(client: client), writeConcurrency: writeConcurrency, now: now,
            logger: logger)
    }

    public func reconcile(_ key: ObjectKey) async throws -> ReconcileResult {
        // Whether a run is in flight, asked before reading the cache: a run notes its final status in the
        // cache before it counts as finished, so a job read after "not running" never shows the claim of a
        // run that has just ended (which would be resumed as if it had been interrupted, and run twice).
        let running = await runs.isRunning(key)
        let reconcile = CachedObjectReconcile(jobs, gone: { await self.stopRun(of: $0) }) { job in
            running ? .done : try await self.schedule(job)
        }
        return try await reconcile(key)
    }

    /// A job gone from the cache (or being deleted) has its run in flight cancelled.
    func stopRun(of key: ObjectKey) async -> ReconcileResult {
        await runs.cancel(key)
        return .done
    }

    /// Starts (or resumes) the run that is due, or records when the next one is and waits for it.
    func schedule(_ job: DiscoveryJob) async throws -> ReconcileResult {
        let key = ObjectKey(job)
        let now = self.now()
        let plan: RunPlanner.Plan
        do {
            plan = try RunPlanner.plan(job: job, now: now)
        } catch {
            try await writeStatus(job) { status in
                status.conditions.set(ready(job, false, "InvalidSchedule", error.description))
                status.nextScheduleTime = nil
            }
            events?.record(job, type: .warning, reason: "InvalidSchedule", message: error.description)
            return .done
        }

        switch plan.decision {
        case .run(let trigger, let scheduledTime):
            var claimed = job
            if trigger != .resumed {
                claimed = try await claim(job, trigger: trigger, scheduledTime: scheduledTime, next: plan.nextScheduleTime, now: now)
            }
            let run = claimed.status?.activeRun ?? DiscoveryRun(trigger: trigger.rawValue, startedAt: now)
            await runs.start(key) { [executor, claimed] in
                await executor.execute(job: claimed, run: run)
            }
            return .done

        case .wait(let next, let missed):
            try await writeStatus(job) { status in
                status.nextScheduleTime = plan.nextScheduleTime
                if let missed { status.lastScheduleTime = missed }
                if status.conditions?.find(VTag.ConditionType.ready) == nil
                    || status.conditions?.find(VTag.ConditionType.ready)?.reason == "InvalidSchedule" {
                    status.conditions.set(ready(job, true, "Waiting", next.map { "next run at \(KubeTime.format($0))" } ?? "no run scheduled"))
                }
            }
            if let missed {
                events?.record(
                    job, type: .warning, reason: "MissedSchedule",
                    message: "skipped the run due at \(KubeTime.format(missed)): more than startingDeadlineSeconds late")
            }
            guard let next else { return .done }
            return .requeue(after: .milliseconds(max(1000, Int64(next.timeIntervalSince(now) * 1000))))
        }
    }

    /// Records the run as started before doing any work, with the job's resourceVersion as a
    /// precondition: if anything changed meanwhile the write fails with 409 and the queue retries
    /// with fresh state, so two runs are never claimed for one decision.
    func claim(_ job: DiscoveryJob, trigger: RunPlanner.Trigger, scheduledTime: Date?, next: Date?, now: Date) async throws -> DiscoveryJob {
        var status = job.status ?? DiscoveryJobStatus()
        status.activeRun = DiscoveryRun(trigger: trigger.rawValue, startedAt: now)
        if trigger == .requested { status.observedRunRequest = job.metadata.annotations?[VTag.runRequestedAnnotation] }
        if let scheduledTime { status.lastScheduleTime = scheduledTime }
        status.nextScheduleTime = next
        status.conditions.set(Condition(type: VTag.ConditionType.running, status: .true, observedGeneration: job.metadata.generation,
                                        lastTransitionTime: now, reason: trigger.rawValue, message: "discovery run started"))
        var updated = job
        updated.status = status
        let written = try await CacheAwareApi(client: client, namespace: job.namespace ?? "", cache: jobs).replaceStatus(updated)
        events?.record(job, reason: "RunStarted", message: "discovery run started (\(trigger.rawValue.lowercased()))")
        return written
    }

    /// Writes status only when `change` alters it (no write, no event when nothing changed).
    func writeStatus(_ job: DiscoveryJob, _ change: (inout DiscoveryJobStatus) -> Void) async throws {
        var status = job.status ?? DiscoveryJobStatus()
        change(&status)
        status.observedGeneration = job.metadata.generation
        guard status != job.status else { return }
        var updated = job
        updated.status = status
        try await CacheAwareApi(client: client, namespace: job.namespace ?? "", cache: jobs).replaceStatus(updated)
    }

    func ready(_ job: DiscoveryJob, _ ok: Bool, _ reason: String, _ message: String) -> Condition {
        Condition(type: VTag.ConditionType.ready, status: ok ? .true : .false, observedGeneration: job.metadata.generation,
                  lastTransitionTime: now(), reason: reason, message: message)
    }

    /// Cancels runs in flight (shutdown). A cancelled run keeps `activeRun` set, so the next leader resumes it.
    public func stopRuns() async { await runs.cancelAll() }

    /// Waits until no run is in flight (tests, benchmarks).
    public func waitForRuns() async { await runs.waitAll() }
}

extension Optional where Wrapped == [Condition] {
    /// Sets a condition on an optional list (creating it), with `[Condition].set`'s semantics.
    mutating func set(_ condition: Condition) {
        var list = self ?? []
        list.set(condition)
        self = list
    }
}

extension DiscoveryJobReconciler {
    /// The cached CloudResources the job with `uid` owns, read one at a time (the cache packs its objects: an
    /// array of a 100,000-resource job's objects, unpacked at once, is hundreds of MiB). A run passes over them
    /// once after its work of the same order, so a scan of the cache serves: an index by owner held every
    /// resource's key a second time (at 100,000 resources a table of 8 MiB).
    static func owned(by uid: String, in resources: Store<CloudResource>) -> some Sequence<CloudResource> {
        resources.keys().lazy.compactMap { resources.get($0) }.filter { resource in
            (resource.metadata.ownerReferences ?? []).contains { $0.uid == uid }
        }
    }
}
