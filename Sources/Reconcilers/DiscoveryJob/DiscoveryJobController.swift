import K8sClient
import Logging
import TaggingAPI

extension DiscoveryJobReconciler {
    /// Registers the DiscoveryJob controller with `manager`: a job is reconciled when it or a CloudResource
    /// it owns changes. Its runs outlive their reconcile; they are stopped after the controllers have
    /// drained (a run's `status.activeRun` stays set, so whoever leads next resumes it).
    static func register(with manager: Manager, settings: VTagManager.Settings, events: EventRecorder) -> DiscoveryJobReconciler {
        let jobs = manager.informer(DiscoveryJob.self)
        let resources = manager.informer(CloudResource.self)
        let reconciler = DiscoveryJobReconciler(
            client: manager.client, jobs: jobs.store, resources: resources.store, events: events, providers: settings.providers,
            writeConcurrency: settings.discoveryWriteConcurrency, logger: Logger(label: "vtag.discovery"))
        let controller = manager.controller("discoveryjob") { try await reconciler.reconcile($0) }
        controller.watch(jobs)
        controller.owns(resources, owner: DiscoveryJob.self)
        manager.add(RunnableTask(needsLeaderElection: true, onStop: { await reconciler.stopRuns() }) { await AsyncSignal().wait() })
        return reconciler
    }
}
