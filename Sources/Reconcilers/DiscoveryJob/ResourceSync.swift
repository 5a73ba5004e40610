import Foundation
import KubeCore
import TaggingAPI

/// How one discovery run turns what a provider found into CloudResource writes: deterministic
/// names, mirrored labels, an owner reference to the job, and only the fields that changed.
/// Discovery never touches `spec.manualTags` (people own it) nor the tagger's status fields.
public enum ResourceSync {
    public enum Action: Sendable, Equatable {
        case create(CloudResource)
        /// A JSON merge patch of the main resource (metadata labels/owners and discovery's spec fields).
        case patch(name: String, JSONValue)
        case unchanged(name: String)
    }

    /// The object discovery wants for a found resource.
    public static func desired(_ spec: CloudResourceSpec, job: DiscoveryJob) -> CloudResource {
        var found = spec
        found.manualTags = nil
        var labels = CloudResource.mirrorLabels(for: found)
        labels[VTag.Label.job] = ResourceNaming.labelValue(job.name)
        labels[VTag.Label.managedBy] = "vtag"
        return CloudResource(
            metadata: ObjectMeta(
                name: ResourceNaming.name(provider: found.provider, id: found.id), namespace: job.namespace,
                labels: labels, ownerReferences: job.controllerReference().map { [$0] }),
            spec: found)
    }

    /// What to send for one found resource given the cached object (nil if none exists).
    public static func action(for spec: CloudResourceSpec, existing: CloudResource?, job: DiscoveryJob) throws -> Action {
        let want = desired(spec, job: job)
        guard let existing else { return .create(want) }

        // Compare only what discovery owns: its labels, its owner reference, spec minus manualTags.
        // manualTags is left out of both sides, so the diff can never null it.
        var ownedNow = existing.spec
        ownedNow.manualTags = nil
        var patch: [String: JSONValue] = [:]
        if let specPatch = JSONValue.mergePatch(from: try JSONValue.from(ownedNow), to: try JSONValue.from(want.spec)) {
            patch["spec"] = specPatch
        }
        var metadata: [String: JSONValue] = [:]
        let currentLabels = existing.metadata.labels ?? [:]
        var labelPatch: [String: JSONValue] = [:]
        for (k, v) in want.metadata.labels ?? [:] where currentLabels[k] != v { labelPatch[k] = .string(v) }
        // A mirrored label whose field went away (e.g. region) is removed; other people's labels stay.
        for k in [VTag.Label.account, VTag.Label.region] where currentLabels[k] != nil && want.metadata.labels?[k] == nil {
            labelPatch[k] = .null
        }
        if !labelPatch.isEmpty { metadata["labels"] = .object(labelPatch) }
        if let ref = job.controllerReference(), !(existing.metadata.ownerReferences ?? []).contains(where: { $0.uid == ref.uid }) {
            // Another job may already control the object (two jobs over one account): join as a plain owner.
            var refs = existing.metadata.ownerReferences ?? []
            var mine = ref
            if refs.contains(where: { $0.controller == true }) { mine.controller = nil }
            refs.append(mine)
            metadata["ownerReferences"] = try JSONValue.from(refs)
        }
        if !metadata.isEmpty {
            // Guard the list replacement with the version it was computed from.
            if metadata["ownerReferences"] != nil, let rv = existing.metadata.resourceVersion { metadata["resourceVersion"] = .string(rv) }
            patch["metadata"] = .object(metadata)
        }
        return patch.isEmpty ? .unchanged(name: want.name) : .patch(name: want.name, .object(patch))
    }

    public struct Vanishing: Sendable, Equatable {
        /// Objects to mark `Vanished` now (they were Active and the run did not see them).
        public var markVanished: [String] = []
        /// Objects seen again after being marked: back to Active.
        public var reactivate: [String] = []
        /// Objects vanished for longer than the TTL: delete (when pruning is on).
        public var prune: [String] = []
    }

    /// After a complete run: which of the job's objects vanished, came back, or are due for deletion.
    /// A run that had errors must not call this: a failed service is not proof that resources vanished.
    /// `owned` is read once, in order: a lazy sequence keeps one object at a time (the cache packs its objects,
    /// so an array of a 100,000-resource job's objects, unpacked at once, is hundreds of MiB).
    public static func vanishing<Owned: Sequence<CloudResource>>(
        owned: Owned, seen: Set<String>, now: Date, ttl: TimeInterval, prune: Bool
    ) -> Vanishing {
        var out = Vanishing()
        for object in owned {
            let name = object.name
            let vanished = object.status?.phase == .vanished
            if seen.contains(name) {
                if vanished { out.reactivate.append(name) }
            } else if !vanished {
                out.markVanished.append(name)
            } else if prune, let since = object.status?.vanishedAt, now.timeIntervalSince(since) >= ttl {
                out.prune.append(name)
            }
        }
        out.markVanished.sort()
        out.reactivate.sort()
        out.prune.sort()
        return out
    }
}
