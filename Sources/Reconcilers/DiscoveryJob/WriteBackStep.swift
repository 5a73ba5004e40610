import Discovery
import Foundation
import K8sClient
import KubeCore
import Logging
import Metrics
import TaggingAPI

/// The last step of an aws run with `spec.aws.writeBack`: puts the job's applied virtual tags onto the
/// resources (TagResources), records what it wrote and when in each CloudResource's status and
/// history, and reports what AWS refused per resource. What the tagger applies after the run is
/// written by the next one. The written tags come back as native tags at the next discovery, where
/// they equal the virtual values, so nothing flaps and nothing is written twice.
struct WriteBackStep: Sendable {
    let client: KubeClient
    let resources: Store<CloudResource>
    let events: EventRecorder?
    let references: ReferenceReader
    let now: @Sendable () -> Date
    let logger: Logger

    /// nil when the job does not write back.
    func run(job: DiscoveryJob, tally: inout DiscoveryRunExecutor.Tally) async -> WriteBackRun? {
        guard job.spec.provider == .aws, let aws = job.spec.aws, let settings = aws.writeBack, let uid = job.metadata.uid else { return nil }
        let owned = DiscoveryJobReconciler.owned(by: uid, in: resources)
        let plan = WriteBackPlan.make(owned, settings: settings, defaultRegion: aws.regions.first ?? "us-east-1")
        let calls = AWSTagWriter.calls(for: plan.writes)
        var summary = WriteBackRun(dryRun: settings.effectiveDryRun, resources: plan.writes.count,
                                   tags: plan.writes.reduce(0) { $0 + $1.tags.count }, calls: calls.count)
        for s in plan.skipped { logger.info("write-back skipped a tag", metadata: ["job": "\(ObjectKey(job))", "skipped": "\(s)"]) }
        if settings.effectiveDryRun {
            summary.plannedCalls = calls.prefix(WriteBackRun.plannedCallsLimit).map { String($0.description.prefix(8192)) }
            for call in calls { logger.info("write-back dry run", metadata: ["job": "\(ObjectKey(job))", "call": "\(call)"]) }
            return summary
        }
        guard !plan.writes.isEmpty else { return summary }

        let outcome: TagWriteOutcome
        do {
            let credentials = try await DefaultProviders.awsCredentials(aws, namespace: job.namespace ?? "", references: references)
            outcome = try await AWSTagWriter(settings: aws, credentials: credentials, logger: logger).write(plan.writes)
        } catch is CancellationError {
            return summary
        } catch {
            tally.fail("write-back: \(error)")
            summary.resources = 0
            summary.tags = 0
            summary.failed = plan.writes.count
            return summary
        }
        summary.calls = outcome.calls
        summary.resources = outcome.written.count
        summary.tags = outcome.written.reduce(0) { $0 + $1.tags.count }
        summary.failed = outcome.failed.count
        Counter(label: "vtag_writeback_tags_total").increment(by: summary.tags)
        Counter(label: "vtag_writeback_calls_total").increment(by: outcome.calls)
        Counter(label: "vtag_writeback_failures_total").increment(by: outcome.failed.count)

        let api = CacheAwareApi(client: client, namespace: job.namespace ?? "", cache: resources)
        let stamp = now()
        for w in outcome.written {
            do {
                try await record(w, api: api, job: job.name, at: stamp)
            } catch {
                tally.fail("write-back: tags written onto \(w.arn) but not recorded in its CloudResource: \(error)")
            }
        }
        for f in outcome.failed {
            tally.fail("write-back: \(f)")
            if let r = resources.get(name: ResourceNaming.name(provider: "aws", id: f.arn), namespace: job.namespace) {
                events?.record(r, type: .warning, reason: "WriteBackFailed", message: String(f.description.prefix(1024)))
            }
        }
        return summary
    }

    /// Adds the written tags to the CloudResource's `writtenBack` and history (optimistic concurrency,
    /// a fresh read on conflict).
    func record(_ write: TagWrite, api: CacheAwareApi<CloudResource>, job: String, at time: Date) async throws {
        let name = ResourceNaming.name(provider: "aws", id: write.arn)
        for _ in 0..<5 {
            guard var current = try await api.api.getOptional(name) else { return }
            var status = current.status ?? CloudResourceStatus()
            var written = Dictionary((status.writtenBack ?? []).map { ($0.key, $0) }, uniquingKeysWith: { $1 })
            var history = status.history ?? []
            for (key, value) in write.tags.sorted(by: { $0.key < $1.key }) {
                written[key] = WrittenBackTag(key: key, value: value, writtenAt: time, job: job)
                history.append(TagHistoryEntry(
                    time: time, action: .writtenBack, key: key, old: current.spec.nativeTags?[key], new: value, actor: "writeback/\(job)"))
            }
            status.writtenBack = Array(written.values.sorted { $0.key < $1.key }.prefix(CloudResourceStatus.writtenBackLimit))
            status.history = Array(history.suffix(CloudResourceStatus.historyLimit))
            current.status = status
            do {
                try await api.patchStatus(of: current)
                events?.record(current, reason: "WrittenBack", message: "wrote \(write.tags.keys.sorted().joined(separator: ", ")) onto \(write.arn) (DiscoveryJob \(job))")
                return
            } catch let error as KubeClientError where error.isConflict {
                continue
            }
        }
        throw ReconcileError.writeBackNotRecorded(resource: name, conflicts: 5)
    }
}
