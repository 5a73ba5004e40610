import Foundation
import KubeCore
import TaggingAPI
import Testing

@testable import Reconcilers

@Suite struct RunPlannerTests {
    static let created = KubeTime.parse("2026-11-20T10:00:00Z")!

    func job(schedule: String? = nil, suspend: Bool? = nil, deadline: Int64? = nil, annotation: String? = nil, status: DiscoveryJobStatus? = nil) -> DiscoveryJob {
        DiscoveryJob(
            metadata: ObjectMeta(
                name: "j", namespace: "n", creationTimestamp: Self.created,
                annotations: annotation.map { [VTag.runRequestedAnnotation: $0] }),
            spec: DiscoveryJobSpec(provider: .simulated, schedule: schedule, startingDeadlineSeconds: deadline, suspend: suspend, simulated: .init(count: 10)),
            status: status)
    }

    func at(_ minutes: Double) -> Date { Self.created.addingTimeInterval(minutes * 60) }

    @Test func unscheduledJobRunsOnceThenWaits() throws {
        #expect(try RunPlanner.plan(job: job(), now: at(1)).decision == .run(trigger: .initial, scheduledTime: nil))
        let ran = job(status: .init(lastRun: .init(startedAt: at(1), finishedAt: at(2))))
        #expect(try RunPlanner.plan(job: ran, now: at(60)).decision == .wait(next: nil, missed: nil))
    }

    @Test func scheduledJobWaitsForItsFirstTimeThenRuns() throws {
        let j = job(schedule: "30 * * * *")
        let before = try RunPlanner.plan(job: j, now: at(10))
        #expect(before.decision == .wait(next: at(30), missed: nil))
        #expect(before.nextScheduleTime == at(30))
        #expect(try RunPlanner.plan(job: j, now: at(31)).decision == .run(trigger: .schedule, scheduledTime: at(30)))
        // Once lastScheduleTime records 10:30, the same moment is no longer due.
        let done = job(schedule: "30 * * * *", status: .init(lastScheduleTime: at(30)))
        #expect(try RunPlanner.plan(job: done, now: at(31)).decision == .wait(next: at(90), missed: nil))
    }

    @Test func missedStartBeyondTheDeadlineIsSkipped() throws {
        let j = job(schedule: "0 * * * *", deadline: 300)
        // Due 11:00; at 11:04 still within 5 minutes, at 11:06 too late.
        #expect(try RunPlanner.plan(job: j, now: at(64)).decision == .run(trigger: .schedule, scheduledTime: at(60)))
        #expect(try RunPlanner.plan(job: j, now: at(66)).decision == .wait(next: at(120), missed: at(60)))
    }

    @Test func manyMissedRunsCollapseIntoTheLatest() throws {
        let j = job(schedule: "*/5 * * * *")
        #expect(try RunPlanner.plan(job: j, now: at(47)).decision == .run(trigger: .schedule, scheduledTime: at(45)))
    }

    @Test func requestAnnotationRunsOnceEvenWhenSuspended() throws {
        let requested = job(schedule: "0 0 * * *", suspend: true, annotation: "2026-11-20T10:05:00Z")
        #expect(try RunPlanner.plan(job: requested, now: at(6)).decision == .run(trigger: .requested, scheduledTime: nil))
        let observed = job(schedule: "0 0 * * *", suspend: true, annotation: "2026-11-20T10:05:00Z",
                           status: .init(observedRunRequest: "2026-11-20T10:05:00Z"))
        #expect(try RunPlanner.plan(job: observed, now: at(6)).decision == .wait(next: nil, missed: nil))
    }

    @Test func activeRunIsResumedNotDoubled() throws {
        let running = job(schedule: "* * * * *", annotation: "x", status: .init(activeRun: .init(startedAt: at(1))))
        #expect(try RunPlanner.plan(job: running, now: at(5)).decision == .run(trigger: .resumed, scheduledTime: nil))
    }

    @Test func suspendedScheduleDoesNotRun() throws {
        let p = try RunPlanner.plan(job: job(schedule: "* * * * *", suspend: true), now: at(5))
        #expect(p.decision == .wait(next: nil, missed: nil))
        #expect(p.nextScheduleTime == nil)
    }

    @Test func badScheduleIsAnError() {
        #expect(throws: ReconcileError.self) { try RunPlanner.plan(job: job(schedule: "every hour"), now: at(1)) }
    }
}
