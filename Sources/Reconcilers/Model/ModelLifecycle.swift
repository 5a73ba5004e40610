import KubeCore
import Foundation
import Inference
import K8sClient
import Logging
import TaggingAPI

/// Trains the tag model from the cluster's CloudResources, stores it in ConfigMaps so a restarted or
/// newly elected operator starts warm, and retrains when the estate changed. The operator runs it
/// only while it leads (one writer of the stored model).
///
/// - Training input per resource: its spec, the values people approved (virtual tags with source
///   `approval`) and the values they denied (`status.rejected`). Training runs on a thread of its own.
/// - Storage: ConfigMaps `settings.modelConfigMap`, `-1`, `-2`, ... in `settings.modelNamespace`
///   (see `ModelChunks`), written tail first and head last, so the head's checksum only ever points
///   at a complete set; chunks left over from a bigger model are deleted.
/// - Decisions between trainings reach the model through `TagApprovalReconciler` (incremental learning).
/// - When: see `run(every:catchUp:onCatchUp:)`: every interval if the estate changed, and within seconds
///   while the model is young (a fresh install's first discovery, an estate that more than doubled).
public final class ModelLifecycle: Sendable {
    let client: KubeClient
    let resources: Store<CloudResource>
    let holder: ModelHolder
    let settings: TaggingSettings
    let logger: Logger
    let chunkBytes: Int
    /// What the estate looked like when the model in the holder was trained or loaded.
    private let trainedOn = Locked<EstateFingerprint?>(nil)
    /// A training failed while there was no model: nothing should wait for the first one any more.
    private let firstTrainingFailed = Locked(false)
    /// A catch-up training happened while this process's discovery run was in flight: the estate is evaluated
    /// again once the run ends, with a model trained on what it left (`run`).
    private let deferredCatchUp = Locked(false)

    public convenience init(
        client: KubeClient, resources: Store<CloudResource>, holder: ModelHolder, settings: TaggingSettings,
        logger: Logger = Logger(label: "vtag.model")
    ) {
        self.init(client: client, resources: resources, holder: holder, settings: settings, logger: logger,
                  chunkBytes: ModelChunks.defaultChunkBytes)
    }

    /// `chunkBytes`: raw model bytes per ConfigMap (tests force several chunks with a small value).
    init(client: KubeClient, resources: Store<CloudResource>, holder: ModelHolder, settings: TaggingSettings,
         logger: Logger, chunkBytes: Int) {
        self.client = client
        self.resources = resources
        self.holder = holder
        self.settings = settings
        self.logger = logger
        self.chunkBytes = max(1, chunkBytes)
    }

    var location: String { "\(settings.modelNamespace)/\(settings.modelConfigMap)" }

    // MARK: Training

    /// Trains on the cached CloudResources, installs the model in the holder and stores it.
    public func trainAndSave() async throws {
        try await trainAndSave(because: nil)
    }

    func trainAndSave(because reason: RetrainReason?) async throws {
        let model = try await train(because: reason)
        try await save(model)
    }

    /// Trains and installs the model (without storing it); `reason` is logged.
    @discardableResult
    func train(because reason: RetrainReason? = nil) async throws -> TagModel {
        let previous = holder.current?.generation ?? 0
        let config = settings.inference
        let started = ContinuousClock.now
        // The snapshot lives on the training's thread only: it and the training's tables are freed there, and
        // handed back to the kernel at once (the tagging that follows a first model must not stack on them).
        let trained = try await DedicatedThread.run(name: "vtag-model-training") { () -> Trained in
            // What a first discovery freed (its answers, its events) may sit in another arena than the one this
            // thread allocates from: handed back first, it does not stay resident under the training's tables.
            HeapTrim.now()
            let (inputs, fingerprint) = self.snapshot()
            let model = EstateInference.learn(inputs, config: config, generation: previous + 1)
            return Trained(model: model, fingerprint: fingerprint, resources: inputs.count)
        }
        HeapTrim.now()
        var model = trained.model
        let fingerprint = trained.fingerprint
        // Decisions learned while it trained moved the holder's generation on: stay ahead of it, so
        // a resource's modelVersion never goes backwards.
        let current = holder.current?.generation ?? 0
        if model.generation <= current {
            model = model.numbered(current + 1)
        }
        holder.replace(model)
        trainedOn.withLock { $0 = fingerprint }
        logger.info("model trained", metadata: [
            "version": "\(model.version)", "resources": "\(trained.resources)", "keys": "\(model.keys.count)",
            "decisions": "\(fingerprint.decisions)", "duration": "\(ContinuousClock.now - started)",
            "reason": "\(reason.map(\.description) ?? "requested")",
        ])
        return model
    }

    /// A training's result and what it was trained on.
    struct Trained: Sendable {
        var model: TagModel
        var fingerprint: EstateFingerprint
        var resources: Int
    }

    /// The training inputs from the cache (sorted by id: training is deterministic for one estate). The cache
    /// packs the spec's maps, so each read makes them anew: equal ones (an estate repeats a few sets of native and
    /// manual tags) are held once while training (`ValueInterner`, dropped with the inputs). The attributes are left
    /// out: inference reads none, and an instance's or a volume's are its own (its id among them), a dictionary
    /// per resource held for the whole training (about a fifth of the snapshot).
    func snapshot() -> ([InferenceInput], EstateFingerprint) {
        var inputs: [InferenceInput] = []
        inputs.reserveCapacity(resources.count)
        var fingerprint = EstateFingerprint()
        let maps = ValueInterner<[String: String]>()
        let relations = ValueInterner<[Relation]>()
        resources.forEach { resource in
            guard resource.metadata.deletionTimestamp == nil else { return }
            var approved: [String: String] = [:]
            for tag in resource.status?.virtualTags ?? [] where tag.source == .approval { approved[tag.key] = tag.value }
            let rejected = resource.status?.rejected ?? []
            var spec = resource.spec
            spec.nativeTags = maps(spec.nativeTags)
            spec.manualTags = maps(spec.manualTags)
            spec.attributes = nil
            spec.relations = relations(spec.relations)
            inputs.append(InferenceInput(spec: spec, approved: approved, rejected: rejected))
            fingerprint.add(resource, approved: approved.count, rejected: rejected.count)
        }
        inputs.sort { $0.spec.id < $1.spec.id }
        return (inputs, fingerprint)
    }

    /// The estate's fingerprint alone (cheaper than `snapshot`: no training inputs are built).
    func fingerprint() -> EstateFingerprint {
        var fingerprint = EstateFingerprint()
        resources.forEach { resource in
            guard resource.metadata.deletionTimestamp == nil else { return }
            let approved = (resource.status?.virtualTags ?? []).reduce(0) { $0 + ($1.source == .approval ? 1 : 0) }
            fingerprint.add(resource, approved: approved, rejected: resource.status?.rejected?.count ?? 0)
        }
        return fingerprint
    }

    // MARK: Periodic retraining

    /// Retrains (and stores) when there is no model yet, or when the estate changed since the model
    /// was trained: resources added or removed, a spec changed, or a decision recorded. A model
    /// loaded at start counts as trained on the estate as first seen. Returns whether it trained.
    @discardableResult
    public func retrainIfNeeded() async throws -> Bool {
        try await retrain() != nil
    }

    /// `retrainIfNeeded`, returning why it trained (nil: it did not). `installed` runs once the new model is in
    /// the holder and before it is stored: what waits for the model need not wait for its ConfigMap writes.
    func retrain(installed: (@Sendable (RetrainReason) async -> Void)? = nil) async throws -> RetrainReason? {
        let now = fingerprint()
        guard let reason = reasonToRetrain(now) else { return nil }
        guard now.resources > 0 else {
            logger.debug("no CloudResources yet: nothing to train on")
            return nil
        }
        logger.info("training the model", metadata: ["reason": "\(reason)", "resources": "\(now.resources)"])
        let model = try await train(because: reason)
        await installed?(reason)
        try await save(model)
        return reason
    }

    /// Why the model should be trained on the estate `now`, or nil when it is up to date.
    func reasonToRetrain(_ now: EstateFingerprint) -> RetrainReason? {
        guard let model = holder.current else { return .noModel }
        let last = trainedOn.withLock { last -> EstateFingerprint in
            if last == nil { last = now }  // a loaded model: trained on the estate as first seen
            return last!
        }
        if last == now { return nil }
        if model.keys.isEmpty { return .modelKnowsNothing }
        if now.resources > 2 * last.resources { return .estateGrew(from: last.resources, to: now.resources) }
        return .estateChanged(resources: last.resources, now: now.resources, decisions: last.decisions, nowDecisions: now.decisions)
    }

    /// Whether resources seen for the first time should wait for the first model: none yet, and no training
    /// has failed (the loop's next training fires them all through `onCatchUp`).
    public var awaitsFirstModel: Bool {
        holder.current == nil && !firstTrainingFailed.withLock { $0 }
    }

    /// Whether the model is young, so the loop looks again every `catchUp`: none yet, one that knows no key
    /// yet (trained before any resource had a known value), or one trained on less than half of the
    /// resources cached now.
    public var isCatchingUp: Bool {
        guard let model = holder.current else { return true }
        if model.keys.isEmpty { return true }
        guard let trained = trainedOn.withLock({ $0 }) else { return false }
        return resources.count > 2 * trained.resources
    }

    /// The leader's loop (the first look once the cache synced): `retrainIfNeeded`, then again after
    /// `interval` — or sooner, at the first `catchUp` tick at which the model is young (`isCatchingUp`), so a
    /// fresh install's first discovery run gets a model within seconds rather than an interval later, and an
    /// estate that more than doubles gets one that knows it.
    ///
    /// Bounded: a tick costs a few lookups; a look costs one pass over the cache and trains only if the
    /// estate changed; the doubling rule trains at most about log2(estate) times while an estate grows, and
    /// a model that knows no key is trained again at most once per tick, only while the estate changes. The very
    /// first model (none loaded or trained yet) waits while the estate grows from one look to the next (a first
    /// discovery in flight), at most `firstModelPatience`. `discoveryInFlight` (this process's discovery runs)
    /// makes that wait exact: the first model also waits while a run is in flight, the loop looks every
    /// `firstModelLook` meanwhile, and once a run it saw has ended, a look without growth (the cache has the run's
    /// last creations) is enough, instead of a whole tick without growth: on a fresh install the tags come about
    /// a second sooner. Growth it cannot attribute to a run of its own still needs a tick without growth.
    /// After a catch-up training (`RetrainReason.isCatchUp`) `onCatchUp` runs: the operator re-evaluates the
    /// estate with the new model then, not at the next periodic re-evaluation. While a run of this process's
    /// discovery is in flight (a first discovery that outlasted `firstModelPatience`), a catch-up trains (what
    /// is evaluated next gets the new model) but the re-evaluation waits for the run's end, then comes once,
    /// after one more training on the estate the run left: each resource is written at most twice, not once
    /// per doubling. Every training logs its
    /// reason. Returns when the task is cancelled; a failed training is logged and tried again at the next look
    /// (`onCatchUp` runs anyway while there is no model, or when the new one was trained but not stored: nothing
    /// waits for a model that failed).
    public func run(
        every interval: Duration, catchUp: Duration = .seconds(15), firstModelPatience: Duration = .seconds(300),
        firstModelLook: Duration = .milliseconds(100), onCatchUp: (@Sendable () async -> Void)? = nil,
        discoveryInFlight: (@Sendable () async -> Bool)? = nil
    ) async {
        await resources.waitForSync()
        let tick = min(interval, catchUp)
        // While there is no model yet, with this process's discovery runs in view: look often (a look while the
        // estate is unsettled costs a count and a question to the run registry).
        let firstLook = discoveryInFlight == nil ? tick : min(firstModelLook, tick)
        var lastCount = resources.count
        var growingSince: ContinuousClock.Instant?
        var lastGrowth: ContinuousClock.Instant?
        var followsDiscovery = false
        while !Task.isCancelled {
            let count = resources.count
            defer { lastCount = count }
            if holder.current == nil {
                // No model yet and a first discovery in flight (the estate grows, or a run says so). The first model
                // waits until it settles (at most `firstModelPatience`: a slow discovery is tagged while it runs), so
                // it knows the estate and what it applies is written once, not once per doubling.
                let inFlight = await discoveryInFlight?() ?? false
                if inFlight && !followsDiscovery {
                    followsDiscovery = true
                    logger.info("the first model waits for the discovery run in flight", metadata: ["atMost": "\(firstModelPatience)"])
                }
                if count > lastCount || inFlight {
                    lastGrowth = .now
                    if growingSince == nil { growingSince = .now }
                }
                // Settled: no run in flight and no growth for a look (after a run of its own) or a tick (otherwise).
                let settle = followsDiscovery ? firstLook : tick
                let nothingYet = count == 0 && !inFlight
                let patient = growingSince.map { ContinuousClock.now - $0 < firstModelPatience } ?? false
                let unsettled = inFlight || (lastGrowth.map { ContinuousClock.now - $0 < settle } ?? false)
                if nothingYet || (patient && unsettled) {
                    do { try await Task.sleep(for: firstLook) } catch { return }
                    continue
                }
                if inFlight {
                    logger.notice("the discovery run outlasted the first model's wait: tagging starts with what it found so far, and the estate is evaluated again after the run", metadata: [
                        "waited": "\(firstModelPatience)", "resources": "\(count)",
                    ])
                }
            }
            let before = holder.current?.generation
            // With a model in use, catch-ups during this process's discovery run still train (what is evaluated
            // next gets the better model) but re-evaluate the estate once, after the run.
            let inFlight = before != nil ? await discoveryInFlight?() ?? false : false
            // A run that deferred a catch-up ended: take the deferral (one re-evaluation comes now).
            let runEnded = !inFlight && deferredCatchUp.withLock { deferred in
                defer { deferred = false }
                return deferred
            }
            // The estate is evaluated again as soon as a catch-up model is in use, while it is being stored.
            let caughtUp = Locked(false)
            do {
                let reason = try await retrain { [deferredCatchUp] reason in
                    guard reason.isCatchUp || runEnded else { return }
                    if inFlight {
                        deferredCatchUp.withLock { $0 = true }
                        return
                    }
                    caughtUp.withLock { $0 = true }
                    await onCatchUp?()
                }
                // The run ended and the estate did not change since the last catch-up's training: the resources
                // evaluated before that training deserve the re-evaluation anyway.
                if runEnded && reason == nil { await onCatchUp?() }
            } catch is CancellationError {
                return
            } catch {
                logger.error("model training or storing failed; will try again", metadata: [
                    "error": "\(error)", "location": "\(location)",
                ])
                // A model trained but not stored is in use: evaluate with it (unless that was done already). Still
                // none: what waited for the first one is evaluated without it.
                if holder.current == nil { firstTrainingFailed.withLock { $0 = true } }
                let fired = caughtUp.withLock { $0 }
                if holder.current == nil || (runEnded && !fired) {
                    await onCatchUp?()
                } else if holder.current?.generation != before && !fired {
                    if inFlight { deferredCatchUp.withLock { $0 = true } } else { await onCatchUp?() }
                }
            }
            let due = ContinuousClock.now + interval
            while true {
                let look = holder.current == nil && !firstTrainingFailed.withLock({ $0 }) ? firstLook : tick
                do { try await Task.sleep(for: look) } catch { return }
                if ContinuousClock.now >= due || isCatchingUp { break }
                if await catchUpIsDue(discoveryInFlight) { break }
            }
        }
    }

    /// Whether a catch-up deferred while a discovery run was in flight is due: the run ended.
    private func catchUpIsDue(_ discoveryInFlight: (@Sendable () async -> Bool)?) async -> Bool {
        guard deferredCatchUp.withLock({ $0 }) else { return false }
        return !(await discoveryInFlight?() ?? false)
    }

    // MARK: Storage

    /// Stores `model` in the ConfigMaps (idempotent: unchanged chunks are not written).
    func save(_ model: TagModel) async throws {
        // Sorted keys: the same model always gives the same bytes, so storing it again writes nothing.
        let payload = try await DedicatedThread.run(name: "vtag-model-encode") {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            return try encoder.encode(model)
        }
        let chunks = ModelChunks.split(payload, version: model.version, base: settings.modelConfigMap,
                                       namespace: settings.modelNamespace, chunkBytes: chunkBytes)
        let api = Api<ConfigMap>(client: client, namespace: settings.modelNamespace)
        // Tail first, head last: the head (count and checksum) switches readers over only once every chunk is there.
        for chunk in chunks.dropFirst() { try await upsert(chunk, api) }
        try await upsert(chunks[0], api)
        try await deleteStaleChunks(keeping: chunks.count, api)
        logger.info("model stored", metadata: [
            "version": "\(model.version)", "location": "\(location)", "bytes": "\(payload.count)", "chunks": "\(chunks.count)",
        ])
    }

    /// Creates the ConfigMap or replaces its data and our annotations (keeping anyone else's labels
    /// and annotations); writes nothing when it already holds this chunk.
    func upsert(_ chunk: ConfigMap, _ api: Api<ConfigMap>) async throws {
        for _ in 0..<3 {
            guard let existing = try await api.getOptional(chunk.name) else {
                do {
                    _ = try await api.create(chunk)
                    return
                } catch let error as KubeClientError where error.isAlreadyExists {
                    continue
                }
            }
            var updated = existing
            updated.binaryData = chunk.binaryData
            updated.data = nil
            updated.metadata.labels = (existing.metadata.labels ?? [:]).merging(chunk.metadata.labels ?? [:]) { $1 }
            updated.metadata.annotations = (existing.metadata.annotations ?? [:]).merging(chunk.metadata.annotations ?? [:]) { $1 }
            if updated == existing { return }
            do {
                _ = try await api.replace(updated)
                return
            } catch let error as KubeClientError where error.isConflict || error.isNotFound {
                continue
            }
        }
        throw ReconcileError.modelStoreBusy(configMap: "\(settings.modelNamespace)/\(chunk.name)")
    }

    func deleteStaleChunks(keeping count: Int, _ api: Api<ConfigMap>) async throws {
        let base = settings.modelConfigMap
        let selector = "\(ModelChunks.modelLabel)=\(ResourceNaming.labelValue(base))"
        let wanted = Set((0..<count).map { ModelChunks.name(base: base, index: $0) })
        for cm in try await api.listAll(ListParams(labelSelector: selector)).items {
            // Only our own chunk names: another model's ConfigMaps may share a truncated label value.
            guard !wanted.contains(cm.name), cm.name.hasPrefix(base + "-"), Int(cm.name.dropFirst(base.count + 1)) != nil else { continue }
            do {
                _ = try await api.delete(cm.name)
            } catch let error as KubeClientError where error.isNotFound {}
        }
    }

    /// Warm start: reads the stored model into the holder. Returns false (and logs why) when there is
    /// none or it cannot be used (a chunk missing or damaged, another format); the caller then trains.
    /// Throws only when the API server cannot be asked (e.g. no permission to read ConfigMaps).
    @discardableResult
    public func load() async throws -> Bool {
        let api = Api<ConfigMap>(client: client, namespace: settings.modelNamespace)
        let base = settings.modelConfigMap
        guard let head = try await api.getOptional(base) else {
            logger.info("no stored model yet; one will be trained", metadata: ["location": "\(location)"])
            return false
        }
        do {
            let (count, _) = try ModelChunks.header(head)
            var chunks: [ConfigMap?] = [head]
            for i in 1..<max(1, count) {
                let chunk = try await api.getOptional(ModelChunks.name(base: base, index: i))
                chunks.append(chunk)
                if chunk == nil { break }  // `join` names the missing chunk; no need to ask for the rest
            }
            let payload = try ModelChunks.join(chunks, base: base)
            let model = try await DedicatedThread.run(name: "vtag-model-decode") { try JSONDecoder().decode(TagModel.self, from: payload) }
            holder.replace(model)
            trainedOn.withLock { $0 = nil }  // the first retrainIfNeeded takes the estate as it is then
            logger.info("stored model loaded", metadata: [
                "version": "\(model.version)", "location": "\(location)", "bytes": "\(payload.count)", "chunks": "\(count)",
            ])
            return true
        } catch let error as ReconcileError where error.isStoredModelUnreadable {
            logger.error("stored model is unusable and will be retrained", metadata: ["location": "\(location)", "reason": "\(error)"])
            return false
        } catch let error as DecodingError {
            logger.error("stored model cannot be decoded and will be retrained", metadata: [
                "location": "\(location)", "reason": "\(Self.describe(error))",
            ])
            return false
        }
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let c), .keyNotFound(_, let c), .typeMismatch(_, let c), .valueNotFound(_, let c):
            let path = c.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? c.debugDescription : "\(path): \(c.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

/// Why the model lifecycle trains, as its log says.
enum RetrainReason: Sendable, Equatable, CustomStringConvertible {
    case noModel
    case modelKnowsNothing
    case estateGrew(from: Int, to: Int)
    case estateChanged(resources: Int, now: Int, decisions: Int, nowDecisions: Int)

    /// A training that catches up with an estate the model did not know (none, nothing or half of it
    /// learned): what was evaluated before deserves another look with the new model.
    var isCatchUp: Bool {
        switch self {
        case .noModel, .modelKnowsNothing, .estateGrew: return true
        case .estateChanged: return false
        }
    }

    var description: String {
        switch self {
        case .noModel: return "no model yet"
        case .modelKnowsNothing: return "the model knows no key yet and the estate changed"
        case .estateGrew(let from, let to): return "the estate more than doubled since the last training (\(from) -> \(to) resources)"
        case .estateChanged(let r, let n, let d, let nd):
            return "the estate changed since the last training (resources \(r) -> \(n), decisions \(d) -> \(nd), or specs)"
        }
    }
}

/// What training depends on, summarised cheaply: the number of resources, of decisions, and an
/// order-independent hash of each resource's name and spec generation (a spec change bumps it;
/// status writes do not).
struct EstateFingerprint: Sendable, Equatable {
    var resources = 0
    var decisions = 0
    var specs: UInt64 = 0

    mutating func add(_ resource: CloudResource, approved: Int, rejected: Int) {
        resources += 1
        decisions += approved + rejected
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in resource.name.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        h = (h ^ UInt64(bitPattern: resource.metadata.generation ?? 0)) &* 0x100_0000_01b3
        specs &+= h
    }
}
