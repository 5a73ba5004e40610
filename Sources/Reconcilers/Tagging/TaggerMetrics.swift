import Metrics
import TaggingAPI

/// The tagger's `vtag_*` domain metrics (through swift-metrics: whatever backend the operator bootstrapped).
struct TaggerMetrics: Sendable {
    /// Values applied or changed, by the source that set them.
    let applied: [TagSource: Counter]
    let removed: Counter
    /// Resources added to a TagApproval, by the suggestion's source.
    let suggested: [TagSource: Counter]
    /// Resources taken out of pending approvals because their suggestion changed.
    let withdrawn: Counter
    let evaluations: Counter
    let statusWrites: Counter

    init(factory: any MetricsFactory = MetricsSystem.factory) {
        var applied: [TagSource: Counter] = [:]
        var suggested: [TagSource: Counter] = [:]
        for source in TagSource.allCases {
            applied[source] = Counter(label: "vtag_tags_applied_total", dimensions: [("source", source.rawValue)], factory: factory)
            suggested[source] = Counter(label: "vtag_suggestions_total", dimensions: [("source", source.rawValue)], factory: factory)
        }
        self.applied = applied
        self.suggested = suggested
        removed = Counter(label: "vtag_tags_removed_total", factory: factory)
        withdrawn = Counter(label: "vtag_suggestions_withdrawn_total", factory: factory)
        evaluations = Counter(label: "vtag_resource_evaluations_total", factory: factory)
        statusWrites = Counter(label: "vtag_resource_status_writes_total", factory: factory)
    }

    func count(_ changes: [TagStatus.Change]) {
        for c in changes {
            switch c.action {
            case .applied, .changed: applied[c.source]?.increment()
            case .removed: removed.increment()
            case .rejected: break
            }
        }
    }
}
