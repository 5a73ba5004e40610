import Cost
import Inference

extension AllocationResource {
    /// A resource of an offline plan with the values the plan applies (native values included).
    init(planned: PlanReport.Planned) {
        var tags: [String: Tag] = [:]
        for t in planned.result.applied { tags[t.key] = Tag(value: t.value, source: t.source) }
        self.init(provider: planned.spec.provider, id: planned.spec.id, name: planned.spec.name, tags: tags)
    }
}
