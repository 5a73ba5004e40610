import ArgumentParser
import Foundation
import K8sClient
import KubeCore
import TaggingAPI

/// `kubectl vtag discover JOB`: requests a run now by changing the job's run-requested annotation, and with
/// --wait follows status until that run finishes.
struct DiscoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discover",
        abstract: "Request a discovery run of a DiscoveryJob now, and optionally wait for it.",
        discussion: """
            Sets the annotation vtag.dev/run-requested on the job to the current time; the operator starts \
            a run when the value changes (never two runs of one job at once, suspended jobs included). \
            With --wait, prints a progress line until the run finishes, then its figures; the exit status \
            is 1 when the run reported errors.

            Examples:
              kubectl vtag discover aws-production
              kubectl vtag discover simulated-estate --wait --timeout 10m -n vtag-demo
            """)

    @OptionGroup var cluster: ClusterOptions

    @Argument(help: ArgumentHelp("The DiscoveryJob.", valueName: "JOB"))
    var job: String

    @Flag(name: .long, help: "Follow the run until it finishes.")
    var wait = false

    @Option(name: .long, help: ArgumentHelp("How long --wait waits, e.g. 90s, 10m.", valueName: "DURATION"))
    var timeout: String = "10m"

    @Option(name: .customLong("poll-interval"), help: .hidden)
    var pollInterval: Double = 1

    func validate() throws {
        guard let t = try? GoDuration.parse(timeout), t > 0 else { throw ValidationError("--timeout takes a duration like 90s or 10m, not \(timeout)") }
    }

    func run() async throws {
        let session = try cluster.connect()
        let console = Console.current
        let api = session.api(DiscoveryJob.self)
        _ = try await session.run(.init("get", "discoveryjobs", job)) { try await api.get(job) }
        let requestedAt = Date()
        let value = KubeTime.formatMicro(requestedAt)
        let patch = Patch.merge(.object(["metadata": .object(["annotations": .object([VTag.runRequestedAnnotation: .string(value)])])]))
        _ = try await session.run(.init("patch", "discoveryjobs", job)) {
            try await api.patch(job, patch, PatchParams(fieldManager: VTag.FieldManager.cli))
        }
        console.line("discoveryjob/\(job): run requested (\(VTag.runRequestedAnnotation)=\(value))")
        guard wait else { return }

        let deadline = ContinuousClock.now + .seconds(try GoDuration.parse(timeout))
        var stage: String?
        while ContinuousClock.now < deadline {
            let current = try await session.run(.init("get", "discoveryjobs", job)) { try await api.get(job) }
            let status = current.status
            let picked = status?.observedRunRequest == value
            if picked, status?.activeRun == nil, let run = status?.lastRun, run.finishedAt != nil {
                console.endProgress(stage)
                try finish(run, console: console)
                return
            }
            let (line, now): (String, String)
            if let active = status?.activeRun, picked {
                (line, now) = ("running for \(Format.age(since: active.startedAt)): discovered \(active.discovered) so far", "running")
            } else if status?.activeRun != nil {
                (line, now) = ("waiting: an earlier run is still in progress (the requested one starts after it)", "earlier")
            } else {
                (line, now) = ("waiting for the operator to start the run (requested \(Format.age(since: requestedAt)) ago)", "waiting")
            }
            console.progress("discoveryjob/\(job): \(line)", stage: now, last: &stage)
            try await Task.sleep(for: .seconds(pollInterval))
        }
        console.endProgress(stage)
        throw CLIError("timed out after \(timeout) waiting for discoveryjob/\(job) to finish the requested run. The request stays: the operator runs it when it can. Is the operator running (kubectl get pods -n vtag-system)? Follow with kubectl vtag status -n \(session.namespace).")
    }

    func finish(_ run: DiscoveryRun, console: Console) throws {
        let took = run.finishedAt.map { String(format: "%.1fs", $0.timeIntervalSince(run.startedAt)) } ?? "?"
        var line = "discoveryjob/\(job): run finished in \(took): discovered \(run.discovered), created \(run.created), updated \(run.updated), vanished \(run.vanished)"
        if let d = run.deleted { line += ", deleted \(d)" }
        line += ", errors \(run.errors)"
        console.line(line)
        for m in run.errorMessages ?? [] { console.line("  error: \(m)") }
        if run.errors > 0 {
            throw CLIError("the run of discoveryjob/\(job) reported \(run.errors) error\(run.errors == 1 ? "" : "s") (listed above)")
        }
    }
}
