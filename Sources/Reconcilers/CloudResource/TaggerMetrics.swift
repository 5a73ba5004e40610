import Metrics
import TaggingAPI

/// The tagger's `vtag_*` domain metrics (through swift-metrics: whatever backend the operator bootstrapped).
/// Tags applied by source (`vtag_tags_applied_total`) are counted by the manager's DomainMetrics from the
/// informer's view of every writer, so they are not counted here too; suggestions written and withdrawn by
/// the `ApprovalBatcher`.
struct TaggerMetrics: Sendable {
    /// Values the tagger removed (a rule or native tag went away, or a person removed the key).
    let removed: Counter
    let evaluations: Counter
    let statusWrites: Counter

    init(factory: any MetricsFactory = MetricsSystem.factory) {
        removed = Counter(label: "vtag_tags_removed_total", factory: factory)
        evaluations = Counter(label: "vtag_resource_evaluations_total", factory: factory)
        statusWrites = Counter(label: "vtag_resource_status_writes_total", factory: factory)
    }

    func count(_ changes: [TagStatus.Change]) {
        for c in changes {
            switch c.action {
            case .removed: removed.increment()
            case .applied, .changed, .rejected, .writtenBack: break
            }
        }
    }
}
