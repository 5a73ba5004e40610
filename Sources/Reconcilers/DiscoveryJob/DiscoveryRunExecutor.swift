import Discovery
import Foundation
import K8sClient
import KubeCore
import Logging
import Metrics
import TaggingAPI

/// Runs one discovery: streams the provider's pages into CloudResource writes (bounded parallel,
/// only what changed), then marks vanished resources and prunes expired ones, then records the
/// outcome in the job's status. A failed part is reported and what was found is kept.
struct DiscoveryRunExecutor: Sendable {
    let client: KubeClient
    /// The job cache: the final status write is noted in it before the run counts as finished, so no
    /// reconcile after that reads the claim (`activeRun` set) and takes the run for an interrupted one.
    let jobs: Store<DiscoveryJob>
    let resources: Store<CloudResource>
    let events: EventRecorder?
    let providers: ProviderFactory
    let references: ReferenceReader
    let writeConcurrency: Int
    let now: @Sendable () -> Date
    let logger: Logger

    static let maxMessages = 10

    /// Counts of one run, merged from the parallel writers.
    struct Tally: Sendable {
        var created = 0, updated = 0, unchanged = 0, errors = 0
        var messages: [String] = []

        mutating func fail(_ message: String) {
            errors += 1
            if messages.count < DiscoveryRunExecutor.maxMessages { messages.append(message) }
        }
    }

    func execute(job: DiscoveryJob, run started: DiscoveryRun) async {
        var run = started
        var tally = Tally()
        var seen = Set<String>()
        var discovered = 0
        var setupFailure: ReconcileError?
        let namespace = job.namespace ?? ""
        let api = CacheAwareApi(client: client, namespace: namespace, cache: resources)
        do {
            let provider = try await providers(job, references)
            for try await event in provider.discover() {
                try Task.checkCancellation()
                switch event {
                case .resources(let specs):
                    discovered += specs.count
                    for spec in specs { seen.insert(ResourceNaming.name(provider: spec.provider, id: spec.id)) }
                    // Bulk lane: with adaptive pacing the tagger's writes go first, so tagging keeps up with discovery.
                    let page = await AdaptivePacing.$lane.withValue(.bulk) { await write(specs, job: job, api: api) }
                    tally.created += page.created
                    tally.updated += page.updated
                    tally.unchanged += page.unchanged
                    for m in page.messages { tally.fail(m) }
                    tally.errors += page.errors - page.messages.count
                case .failure(let failure):
                    tally.fail(failure.description)
                }
            }
            // A provider's stream ends quietly, not with an error, when the run is cancelled (the lease lost, a
            // shutdown): the run is not over, and recording it would take the claim the next leader resumes from.
            try Task.checkCancellation()
            if tally.errors == 0 {
                run.vanished = await applyVanishing(job: job, seen: seen, api: api, tally: &tally, run: &run)
            } else {
                tally.messages.append("vanished resources were not marked: the run had errors, so absence proves nothing")
            }
            run.writeBack = await WriteBackStep(
                client: client, resources: resources, events: events, references: references, now: now, logger: logger
            ).run(job: job, tally: &tally)
        } catch is CancellationError {
            logger.info("discovery run cancelled; the next leader resumes it", metadata: ["job": "\(ObjectKey(job))"])
            return
        } catch ReconcileError.providerSetup(let reason, let message) {
            setupFailure = .providerSetup(reason: reason, message: message)
            tally.fail(message)
        } catch {
            tally.fail("\(error)")
        }
        run.discovered = discovered
        run.created = tally.created
        run.updated = tally.updated
        run.errors = tally.errors
        run.errorMessages = tally.messages.isEmpty ? nil : tally.messages
        run.finishedAt = now()
        await finish(job: job, run: run, setupFailure: setupFailure)
    }

    /// Writes one page with at most `writeConcurrency` requests in flight.
    func write(_ specs: [CloudResourceSpec], job: DiscoveryJob, api: CacheAwareApi<CloudResource>) async -> Tally {
        await withTaskGroup(of: UpsertOutcome.self, returning: Tally.self) { group in
            var tally = Tally()
            var iterator = specs.makeIterator()
            func record(_ r: UpsertOutcome) {
                switch r {
                case .created: tally.created += 1
                case .patched: tally.updated += 1
                case .unchanged: tally.unchanged += 1
                case .failed(let message): tally.fail(message)
                }
            }
            var inFlight = 0
            while let spec = iterator.next() {
                if inFlight == writeConcurrency, let r = await group.next() {
                    record(r)
                    inFlight -= 1
                }
                group.addTask { await upsert(spec, job: job, api: api) }
                inFlight += 1
            }
            for await r in group { record(r) }
            return tally
        }
    }

    /// What one upsert did. A plain enum, the task group's child result: Swift 6.3.1 release builds
    /// miscompile tuple (and we avoid generic-enum) child results (docs/ARCHITECTURE.md, "Release builds").
    enum UpsertOutcome: Sendable { case created, patched, unchanged, failed(String) }

    /// Creates or patches one resource; on a stale cache (AlreadyExists, Conflict) it reads the
    /// object and tries once more.
    func upsert(_ spec: CloudResourceSpec, job: DiscoveryJob, api: CacheAwareApi<CloudResource>) async -> UpsertOutcome {
        let name = ResourceNaming.name(provider: spec.provider, id: spec.id)
        var existing = resources.get(name: name, namespace: job.namespace)
        for attempt in 0..<2 {
            do {
                let action = try ResourceSync.action(for: spec, existing: existing, job: job)
                switch action {
                case .create(let object):
                    try await api.create(object, PostParams(fieldManager: VTag.FieldManager.discovery))
                case .patch(let name, let patch):
                    try await api.patch(name, .merge(patch), PatchParams(fieldManager: VTag.FieldManager.discovery))
                case .unchanged:
                    break
                }
                switch action {
                case .create: return .created
                case .patch: return .patched
                case .unchanged: return .unchanged
                }
            } catch let error as KubeClientError where attempt == 0 && (error.isAlreadyExists || error.isConflict) {
                existing = try? await api.api.getOptional(name)
            } catch {
                return .failed("writing CloudResource \(name) (\(spec.id)): \(error)")
            }
        }
        return .failed("writing CloudResource \(name) (\(spec.id)): still conflicting after a fresh read")
    }

    /// Marks the job's resources that the run did not see as Vanished, brings back ones seen again,
    /// and deletes those vanished for longer than the TTL. Returns how many vanished now.
    func applyVanishing(job: DiscoveryJob, seen: Set<String>, api: CacheAwareApi<CloudResource>, tally: inout Tally, run: inout DiscoveryRun) async -> Int {
        guard let uid = job.metadata.uid else { return 0 }
        let owned = DiscoveryJobReconciler.owned(by: uid, in: resources)
        var ttl: TimeInterval = 24 * 3600
        if let text = job.spec.vanishedTTL {
            do { ttl = try GoDuration.parse(text) } catch { tally.fail("spec.vanishedTTL: \(error.description)") }
        }
        let now = self.now()
        let plan = ResourceSync.vanishing(owned: owned, seen: seen, now: now, ttl: ttl, prune: job.spec.pruneVanished ?? true)
        let stamp = JSONValue.string(KubeTime.format(now))
        for name in plan.markVanished {
            await attempt("marking \(name) Vanished", &tally) {
                try await api.patchStatus(name, .merge(.object(["status": .object(["phase": .string("Vanished"), "vanishedAt": stamp])])))
            }
        }
        for name in plan.reactivate {
            await attempt("marking \(name) Active again", &tally) {
                try await api.patchStatus(name, .merge(.object(["status": .object(["phase": .string("Active"), "vanishedAt": .null])])))
            }
        }
        var deleted = 0
        for name in plan.prune {
            await attempt("deleting vanished \(name)", &tally) {
                _ = try await api.delete(name)
                deleted += 1
            }
        }
        run.deleted = deleted
        return plan.markVanished.count
    }

    func attempt(_ what: String, _ tally: inout Tally, _ body: () async throws -> Void) async {
        do { try await body() } catch let error as KubeClientError where error.isNotFound {
            // Already gone: nothing to do.
        } catch {
            tally.fail("\(what): \(error)")
        }
    }

    /// Records the run in status (clearing activeRun) with a few retries on conflict.
    func finish(job: DiscoveryJob, run: DiscoveryRun, setupFailure: ReconcileError?) async {
        let api = CacheAwareApi(client: client, namespace: job.namespace ?? "", cache: jobs)
        let ok = run.errors == 0
        for _ in 0..<5 {
            do {
                guard var current = try await api.api.getOptional(job.name) else { return }
                var status = current.status ?? DiscoveryJobStatus()
                status.activeRun = nil
                status.lastRun = run
                status.history = Array(([run] + (status.history ?? [])).prefix(DiscoveryJobStatus.historyLimit))
                if ok { status.lastSuccessfulTime = run.finishedAt }
                let finishedAt = run.finishedAt ?? now()
                status.conditions.set(Condition(type: VTag.ConditionType.running, status: .false, observedGeneration: current.metadata.generation,
                                                lastTransitionTime: finishedAt, reason: "Finished", message: "last run finished"))
                let summary = "discovered \(run.discovered), created \(run.created), updated \(run.updated), vanished \(run.vanished), errors \(run.errors)"
                if let setupFailure {
                    status.conditions.set(Condition(type: VTag.ConditionType.ready, status: .false, observedGeneration: current.metadata.generation,
                                                    lastTransitionTime: finishedAt, reason: setupFailure.reason, message: setupFailure.description))
                } else {
                    status.conditions.set(Condition(type: VTag.ConditionType.ready, status: ok ? .true : .false, observedGeneration: current.metadata.generation,
                                                    lastTransitionTime: finishedAt, reason: ok ? "RunSucceeded" : "RunFailed",
                                                    message: ok ? summary : "\(summary); first error: \(run.errorMessages?.first ?? "unknown")"))
                }
                status.observedGeneration = current.metadata.generation
                current.status = status
                try await api.replaceStatus(current)
                events?.record(job, type: ok ? .normal : .warning, reason: setupFailure?.reason ?? (ok ? "RunSucceeded" : "RunFailed"),
                               message: setupFailure?.description ?? summary)
                Counter(label: "vtag_discovery_runs_total", dimensions: [("result", ok ? "success" : "error")]).increment()
                if let finished = run.finishedAt {
                    Metrics.Timer(label: "vtag_discovery_run_duration_seconds").recordSeconds(finished.timeIntervalSince(run.startedAt))
                }
                return
            } catch let error as KubeClientError where error.isConflict {
                continue
            } catch {
                logger.error("could not record the discovery run", metadata: ["job": "\(ObjectKey(job))", "error": "\(error)"])
                return
            }
        }
    }
}
