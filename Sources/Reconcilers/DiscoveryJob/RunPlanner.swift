import Foundation
import TaggingAPI

/// Decides, from a DiscoveryJob and the time, whether a run starts now and when to look again.
/// Pure and level-triggered: the same job and time always give the same answer, so a restarted
/// operator reaches the same decision.
///
/// The rules follow CronJob's where they overlap:
/// - a run in progress (`status.activeRun`) is continued, never doubled;
/// - a change of the `vtag.dev/run-requested` annotation runs now, even when suspended (like
///   creating a Job from a suspended CronJob by hand);
/// - without a schedule the job runs once, when it has never run;
/// - with a schedule, the latest due time since the last scheduled run starts a run, unless it is
///   older than `startingDeadlineSeconds` (then it is skipped, as CronJob skips a missed start);
///   a new job waits for its first scheduled time.
public enum RunPlanner {
    public enum Trigger: String, Sendable, Equatable {
        case initial = "Initial", schedule = "Schedule", requested = "Requested", resumed = "Resumed"
    }

    public enum Decision: Sendable, Equatable {
        /// Start (or continue) a run now. `scheduledTime` is the cron time it stands for, if any.
        case run(trigger: Trigger, scheduledTime: Date?)
        /// Nothing to do before `next`; `missed` is a scheduled time skipped for lateness.
        case wait(next: Date?, missed: Date?)
    }

    public struct Plan: Sendable, Equatable {
        public var decision: Decision
        /// The next scheduled time after now (for status.nextScheduleTime), nil when none.
        public var nextScheduleTime: Date?
    }

    public static func plan(job: DiscoveryJob, now: Date) throws(ReconcileError) -> Plan {
        let status = job.status ?? DiscoveryJobStatus()
        let schedule = try job.spec.schedule.map { (s) throws(ReconcileError) in try CronSchedule(s) }
        let suspended = job.spec.suspend ?? false
        let next = suspended ? nil : schedule?.next(after: now)

        if status.activeRun != nil {
            return Plan(decision: .run(trigger: .resumed, scheduledTime: nil), nextScheduleTime: next)
        }
        if let request = job.metadata.annotations?[VTag.runRequestedAnnotation], !request.isEmpty,
           request != status.observedRunRequest {
            return Plan(decision: .run(trigger: .requested, scheduledTime: nil), nextScheduleTime: next)
        }
        guard let schedule else {
            if status.lastRun == nil && !suspended {
                return Plan(decision: .run(trigger: .initial, scheduledTime: nil), nextScheduleTime: nil)
            }
            return Plan(decision: .wait(next: nil, missed: nil), nextScheduleTime: nil)
        }
        if suspended { return Plan(decision: .wait(next: nil, missed: nil), nextScheduleTime: nil) }

        let since = status.lastScheduleTime ?? job.metadata.creationTimestamp ?? now
        guard let due = schedule.latestDue(after: since, now: now) else {
            return Plan(decision: .wait(next: next, missed: nil), nextScheduleTime: next)
        }
        if let deadline = job.spec.startingDeadlineSeconds, now.timeIntervalSince(due.time) > Double(deadline) {
            return Plan(decision: .wait(next: next, missed: due.time), nextScheduleTime: next)
        }
        return Plan(decision: .run(trigger: .schedule, scheduledTime: due.time), nextScheduleTime: next)
    }
}
