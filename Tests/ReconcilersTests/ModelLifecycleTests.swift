import Foundation
import Inference
import K8sClient
import KubeCore
import KubeTestServer
import Logging
import TaggingAPI
import Testing
import VTagTestSupport

@testable import Reconcilers

/// Keeps what a Logger logs, for tests that check a message a person would read.
final class CapturedLogs: Sendable {
    private let lines = Locked<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    func contains(_ text: String) -> Bool { all.contains { $0.contains(text) } }
    /// Whether one line holds every one of `parts`.
    func containsLine(_ parts: String...) -> Bool { all.contains { line in parts.allSatisfy { line.contains($0) } } }

    var logger: Logger { Logger(label: "test") { _ in CapturingLogHandler(sink: self) } }
}

struct CapturingLogHandler: LogHandler {
    let sink: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        sink.append("\(event.level) \(event.message) \(all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
    }
}

/// The model lifecycle against a fresh API test server (with the namespace the model is stored in).
struct ModelHarness: Sendable {
    let server: KubeAPITestServer
    let client: KubeClient
    let resources: Store<CloudResource>
    let settings = TaggingSettings()  // model in vtag-system/vtag-model

    var configMaps: Api<ConfigMap> { Api(client: client, namespace: settings.modelNamespace) }
    var resourceApi: Api<CloudResource> { Api(client: client, namespace: "default") }

    static func run(_ body: (ModelHarness) async throws -> Void) async throws {
        let server = try await KubeAPITestServer.start(.init(crdFiles: crdFiles(), namespaces: ["default", "vtag-system"]))
        let client = try KubeClient.load(kubeconfigPath: server.kubeconfigPath)
        let informer = Informer(api: Api<CloudResource>.all(client))
        let harness = ModelHarness(server: server, client: client, resources: informer.store)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await informer.run() }
                defer { group.cancelAll() }
                await informer.store.waitForSync()
                try await body(harness)
            }
        } catch {
            try await server.shutdown()
            throw error
        }
        try await server.shutdown()
    }

    func lifecycle(holder: ModelHolder = ModelHolder(), chunkBytes: Int = 8 * 1024, logs: CapturedLogs = CapturedLogs()) -> ModelLifecycle {
        ModelLifecycle(client: client, resources: resources, holder: holder, settings: settings, logger: logs.logger, chunkBytes: chunkBytes)
    }

    /// An estate whose teams and environments the model can learn from the names (`tagged`: false leaves
    /// the native tags out, so there is nothing to learn).
    /// `attributes`: each resource gets attributes of its own (an instance id), as discovery writes them.
    func seed(_ count: Int, from start: Int = 0, status: CloudResourceStatus? = nil, tagged: Bool = true, attributes: Bool = false) async throws {
        let teams = ["search", "billing", "payments", "identity"]
        for i in start..<(start + count) {
            let team = teams[i % teams.count]
            let name = "\(team)-api-\(i)"
            let spec = CloudResourceSpec(
                provider: "aws", id: "arn:aws:ec2:eu-west-1:123456789012:instance/\(name)", type: "ec2:instance", name: name,
                account: "123456789012", region: "eu-west-1",
                nativeTags: tagged ? ["team": team, "env": i % 3 == 0 ? "staging" : "prod", "owner": "\(team)@example.com"] : nil,
                attributes: attributes ? ["instanceId": "i-\(String(i, radix: 16))", "state": i % 5 == 0 ? "stopped" : "running"] : nil)
            var created = try await resourceApi.create(CloudResource(metadata: ObjectMeta(name: name, namespace: "default"), spec: spec))
            if let status {
                created.status = status
                _ = try await resourceApi.replaceStatus(created)
            }
        }
        let expected = start + count
        try await eventually("the cache holds the estate", timeout: .seconds(60)) { [resources] in
            resources.count >= expected && (status == nil || resources.list().allSatisfy { $0.status != nil })
        }
    }

    func storedChunks() async throws -> [ConfigMap] {
        try await configMaps.listAll(ListParams(labelSelector: "vtag.dev/model=vtag-model")).items.sorted { $0.name < $1.name }
    }
}

func encoded(_ model: TagModel?) throws -> Data {
    let e = JSONEncoder()
    e.outputFormatting = .sortedKeys
    return try e.encode(try #require(model))
}

@Suite(.serialized) struct ModelLifecycleTests {
    @Test func aTrainedModelIsStoredInChunksAndLoadedBackWhole() async throws {
        try await ModelHarness.run { h in
            try await h.seed(40)
            let holder = ModelHolder()
            let lifecycle = h.lifecycle(holder: holder, chunkBytes: 2 * 1024)
            try await lifecycle.trainAndSave()
            let trained = try #require(holder.current)
            #expect(trained.generation == 1)
            #expect(trained.keys["team"] != nil)

            let chunks = try await h.storedChunks()
            #expect(chunks.count >= 2)
            let count = try #require(chunks.first { $0.name == "vtag-model" }?.metadata.annotations?["vtag.dev/model-chunks"]).flatMap(Int.init)
            #expect(count == chunks.count)
            #expect(Set(chunks.map(\.name)) == Set((0..<chunks.count).map { $0 == 0 ? "vtag-model" : "vtag-model-\($0)" }))
            #expect(chunks.allSatisfy { ($0.binaryData?["model"]?.count ?? .max) <= 2 * 1024 })
            #expect(chunks.allSatisfy { $0.metadata.annotations?["vtag.dev/model-version"] == trained.version })

            // A restarted operator: a new holder, warm from the ConfigMaps.
            let restarted = ModelHolder()
            #expect(try await h.lifecycle(holder: restarted).load())
            #expect(restarted.version == trained.version)
            #expect(try encoded(restarted.current) == encoded(trained))

            // Storing the same model again writes nothing.
            h.server.clearRequests()
            try await lifecycle.save(trained)
            #expect(h.server.requests().filter { $0.resource == "configmaps" && !["get", "list", "watch"].contains($0.verb) }.isEmpty)
        }
    }

    @Test func chunksOfABiggerEarlierModelAreDeleted() async throws {
        try await ModelHarness.run { h in
            try await h.seed(24)
            try await h.lifecycle(chunkBytes: 2 * 1024).trainAndSave()
            let many = try await h.storedChunks().count
            #expect(many >= 3)

            let holder = ModelHolder()
            try await h.lifecycle(holder: holder, chunkBytes: 1 << 20).trainAndSave()
            #expect(try await h.storedChunks().map(\.name) == ["vtag-model"])
            let reloaded = ModelHolder()
            #expect(try await h.lifecycle(holder: reloaded).load())
            #expect(try encoded(reloaded.current) == encoded(holder.current))
        }
    }

    @Test func aDamagedChunkIsRefusedWithAClearLog() async throws {
        try await ModelHarness.run { h in
            try await h.seed(30)
            try await h.lifecycle(chunkBytes: 4 * 1024).trainAndSave()
            var chunk = try await h.configMaps.get("vtag-model-1")
            var bytes = try #require(chunk.binaryData?["model"])
            bytes[bytes.startIndex + 10] ^= 0xFF
            chunk.binaryData = ["model": bytes]
            _ = try await h.configMaps.replace(chunk)

            let logs = CapturedLogs()
            let holder = ModelHolder()
            let refused = try await h.lifecycle(holder: holder, logs: logs).load()
            #expect(!refused)
            #expect(holder.current == nil)
            #expect(logs.contains("stored model is unusable and will be retrained"))
            #expect(logs.contains("SHA-256"))
            #expect(logs.contains("vtag-system/vtag-model"))

            // A missing chunk is refused too, naming it.
            _ = try await h.configMaps.delete("vtag-model-1")
            let logs2 = CapturedLogs()
            let refusedAgain = try await h.lifecycle(holder: holder, logs: logs2).load()
            #expect(!refusedAgain)
            #expect(logs2.contains("chunk 1 of"))
            #expect(logs2.contains("vtag-model-1"))
        }
    }

    @Test func withNothingStoredLoadSaysSo() async throws {
        try await ModelHarness.run { h in
            let logs = CapturedLogs()
            let holder = ModelHolder()
            let refused = try await h.lifecycle(holder: holder, logs: logs).load()
            #expect(!refused)
            #expect(holder.current == nil)
            #expect(logs.contains("no stored model yet"))
        }
    }

    @Test func retrainsOnlyWhenTheEstateChanged() async throws {
        try await ModelHarness.run { h in
            let holder = ModelHolder()
            let lifecycle = h.lifecycle(holder: holder)
            #expect(try await lifecycle.retrainIfNeeded() == false)  // nothing to learn from yet
            #expect(holder.current == nil)

            try await h.seed(16)
            #expect(try await lifecycle.retrainIfNeeded())
            #expect(holder.current?.generation == 1)
            #expect(try await lifecycle.retrainIfNeeded() == false)

            try await h.seed(1, from: 16)
            #expect(try await lifecycle.retrainIfNeeded())
            #expect(holder.current?.generation == 2)

            // A model loaded at start is taken as trained on the estate as it is.
            let warm = ModelHolder()
            let restarted = h.lifecycle(holder: warm)
            #expect(try await restarted.load())
            #expect(try await restarted.retrainIfNeeded() == false)
            #expect(warm.current?.generation == 2)
        }
    }

    /// A young model is looked at again soon: none yet, one that knows no key, or an estate that more than
    /// doubled since training; otherwise at the interval. Each training says why.
    @Test func theLoopLooksAgainSoonOnlyWhileTheModelIsYoung() async throws {
        try await ModelHarness.run { h in
            let holder = ModelHolder()
            let lifecycle = h.lifecycle(holder: holder)
            #expect(lifecycle.isCatchingUp, "no model yet")
            try await h.seed(6, tagged: false)
            #expect(try await lifecycle.retrain() == .noModel)
            #expect(holder.current?.keys.isEmpty == true)
            #expect(lifecycle.isCatchingUp, "a model that knows no key")
            #expect(try await lifecycle.retrain() == nil, "nothing changed: nothing to train")

            try await h.seed(4, from: 6)
            #expect(try await lifecycle.retrain() == .modelKnowsNothing)
            #expect(holder.current?.keys["team"] != nil)
            #expect(!lifecycle.isCatchingUp, "trained on the estate as it is")
            try await h.seed(10, from: 10)
            #expect(!lifecycle.isCatchingUp, "doubled, not more")
            #expect(try await lifecycle.retrain() == .estateChanged(resources: 10, now: 20, decisions: 0, nowDecisions: 0))
            try await h.seed(21, from: 20)
            #expect(lifecycle.isCatchingUp, "the estate more than doubled")
            #expect(try await lifecycle.retrain() == .estateGrew(from: 20, to: 41))
            #expect(!lifecycle.isCatchingUp)
        }
    }

    /// A fresh install: the loop runs with an hour's interval, discovery brings resources (first without
    /// known values, then with): the model is trained soon after each, says why, and asks for the estate
    /// to be evaluated again each time it caught up.
    @Test func aFreshLifecycleTrainsSoonAfterResourcesWithKnownValuesAppear() async throws {
        try await ModelHarness.run { h in
            let holder = ModelHolder()
            let logs = CapturedLogs()
            let lifecycle = h.lifecycle(holder: holder, logs: logs)
            let catchUps = Locked(0)
            let loop = Task {
                await lifecycle.run(every: .seconds(3600), catchUp: .milliseconds(100)) { catchUps.withLock { $0 += 1 } }
            }
            defer { loop.cancel() }

            try await h.seed(8, tagged: false)
            try await eventually("a first model, knowing no key") { holder.current != nil }
            #expect(holder.current?.keys.isEmpty == true)
            try await eventually("re-evaluation asked for") { catchUps.withLock { $0 } >= 1 }
            let before = catchUps.withLock { $0 }

            try await h.seed(8, from: 8)
            try await eventually("the model learned the known values, without waiting an hour") { holder.current?.keys["team"] != nil }
            try await eventually("re-evaluation asked for again") { catchUps.withLock { $0 } > before }

            // The estate more than doubles after that training (a discovery run going on): the loop, not due for
            // an hour, notices at its next tick.
            let trained = catchUps.withLock { $0 }
            try await h.seed(24, from: 16)
            try await eventually("retrained on the grown estate") { logs.contains("reason=the estate more than doubled") }
            try await eventually("and evaluated again") { catchUps.withLock { $0 } > trained }
            #expect(logs.contains("reason=no model yet"))
            #expect(logs.contains("reason=the model knows no key yet"))
            // The stored model is the one in the holder.
            let stored = ModelHolder()
            try await eventually("stored") { try await h.lifecycle(holder: stored).load() && stored.version == holder.version }
        }
    }

    /// What waited for a catch-up model is evaluated again as soon as the model is in use, not after its
    /// ConfigMaps are written; the model is stored all the same.
    @Test func aCatchUpModelIsUsedBeforeItIsStored() async throws {
        try await ModelHarness.run { h in
            try await h.seed(8)
            let holder = ModelHolder()
            let lifecycle = h.lifecycle(holder: holder)
            let storedAtCatchUp = Locked<[Bool]>([])
            let loop = Task {
                await lifecycle.run(every: .seconds(3600), catchUp: .seconds(3600), firstModelPatience: .zero) { [configMaps = h.configMaps] in
                    let stored = (try? await configMaps.getOptional("vtag-model")) != nil
                    storedAtCatchUp.withLock { $0.append(stored) }
                }
            }
            defer { loop.cancel() }

            try await eventually("re-evaluation asked for", timeout: .seconds(60)) { !storedAtCatchUp.withLock { $0 }.isEmpty }
            #expect(holder.current?.keys["team"] != nil)
            #expect(storedAtCatchUp.withLock { $0 } == [false], "the model was in use before it was stored, and asked for one re-evaluation")
            let stored = ModelHolder()
            try await eventually("stored") { try await h.lifecycle(holder: stored).load() && stored.version == holder.version }
        }
    }

    /// The first model waits while this process's discovery has a run in flight, though the estate stopped
    /// growing (a run between two pages), and comes at the next short look once the run ended, not a tick
    /// (here an hour) later.
    @Test func theFirstModelWaitsForADiscoveryRunInFlightAndComesRightAfterIt() async throws {
        try await ModelHarness.run { h in
            try await h.seed(8)
            let holder = ModelHolder()
            let lifecycle = h.lifecycle(holder: holder)
            let inFlight = Locked(true)
            let asked = Locked(0)
            let discoveryInFlight: @Sendable () async -> Bool = {
                asked.withLock { $0 += 1 }
                return inFlight.withLock { $0 }
            }
            let loop = Task {
                await lifecycle.run(
                    every: .seconds(3600), catchUp: .seconds(3600), firstModelPatience: .seconds(3600),
                    firstModelLook: .milliseconds(50), discoveryInFlight: discoveryInFlight)
            }
            defer { loop.cancel() }

            try await eventually("the loop looked several times while the run was in flight") { asked.withLock { $0 } >= 5 }
            #expect(holder.current == nil)
            inFlight.withLock { $0 = false }
            try await eventually("a first model once the run ended", timeout: .seconds(60)) { holder.current != nil }
            #expect(holder.current?.keys["team"] != nil)
        }
    }

    /// A first discovery that outlasts the first model's patience: the estate's doublings during the run still
    /// train (what is evaluated next gets a model that knows more), but the estate is evaluated again once, after
    /// the run, with a model trained on all of it, not once per doubling (each a status write per resource).
    @Test func catchUpsDuringADiscoveryRunReEvaluateTheEstateOnceAfterIt() async throws {
        try await ModelHarness.run { h in
            try await h.seed(8)
            let holder = ModelHolder()
            let logs = CapturedLogs()
            let lifecycle = h.lifecycle(holder: holder, logs: logs)
            let inFlight = Locked(true)
            let catchUps = Locked(0)
            let loop = Task {
                await lifecycle.run(
                    every: .seconds(3600), catchUp: .milliseconds(50), firstModelPatience: .zero, firstModelLook: .milliseconds(50),
                    onCatchUp: { catchUps.withLock { $0 += 1 } }, discoveryInFlight: { inFlight.withLock { $0 } })
            }
            defer { loop.cancel() }

            try await eventually("the first model, out of patience, re-evaluates what waited for it") { catchUps.withLock { $0 } == 1 }
            let first = try #require(holder.current?.generation)
            try await h.seed(17, from: 8)
            // Not "training the model": that is logged as the training starts, before its model is in use.
            try await eventually("a catch-up training on the doubled estate") {
                logs.containsLine("model trained", "reason=the estate more than doubled")
            }
            let grown = try #require(holder.current?.generation)
            #expect(grown > first)
            try await h.seed(5, from: 25)
            #expect(catchUps.withLock { $0 } == 1, "no re-evaluation while the run is in flight")

            inFlight.withLock { $0 = false }
            try await eventually("one re-evaluation once the run ended") { catchUps.withLock { $0 } == 2 }
            #expect(try #require(holder.current?.generation) > grown, "trained once more on the estate the run left")
            #expect(logs.contains("-> 30, decisions"))
            #expect(!lifecycle.isCatchingUp)
            #expect(catchUps.withLock { $0 } == 2)
        }
    }

    @Test func decisionsOnResourcesAreTrainingInput() async throws {
        try await ModelHarness.run { h in
            let decided = CloudResourceStatus(
                virtualTags: [
                    VirtualTag(key: "application", value: "ledger", source: .approval, confidence: 1, approval: "application-ledger", reason: "approved by a"),
                    VirtualTag(key: "env", value: "prod", source: .native, confidence: 0.98, reason: "native"),
                ],
                rejected: [RejectedTag(key: "cost-center", value: "cc-1", approval: "cost-center-cc-1")])
            try await h.seed(4, status: decided)
            let (inputs, fingerprint) = h.lifecycle().snapshot()
            #expect(inputs.count == 4)
            #expect(inputs.allSatisfy { $0.approved == ["application": "ledger"] })
            #expect(inputs.allSatisfy { $0.rejected.map(\.value) == ["cc-1"] })
            #expect(fingerprint.decisions == 8)
            #expect(h.lifecycle().fingerprint() == fingerprint)
            #expect(inputs.map(\.spec.id) == inputs.map(\.spec.id).sorted())
            // The specs as cached: equal maps are shared while training, never changed.
            #expect(inputs.map(\.spec) == h.resources.list().map(\.spec).sorted { $0.id < $1.id })
            #expect(inputs.allSatisfy { $0.spec.nativeTags?["team"] != nil })

            // Approved values are known tags to the training: the model learns the key from them.
            let holder = ModelHolder()
            try await h.lifecycle(holder: holder).trainAndSave()
            #expect(holder.current?.keys["application"] != nil)
        }
    }

    /// The snapshot leaves the attributes out (inference reads none): the model is the one the whole specs give.
    @Test func theTrainingLeavesOutAttributesAndLearnsWhatTheWholeSpecsTeach() async throws {
        try await ModelHarness.run { h in
            try await h.seed(24, attributes: true)
            let whole = h.resources.list().map { InferenceInput(spec: $0.spec) }.sorted { $0.spec.id < $1.spec.id }
            #expect(whole.allSatisfy { $0.spec.attributes?["instanceId"] != nil })
            let (inputs, _) = h.lifecycle().snapshot()
            #expect(inputs.allSatisfy { $0.spec.attributes == nil })
            #expect(inputs.map(\.spec.id) == whole.map(\.spec.id))

            let model = try await h.lifecycle().train()
            #expect(!model.keys.isEmpty)
            let reference = EstateInference.learn(whole, config: h.settings.inference, generation: model.generation)
            #expect(try encoded(model) == encoded(reference))
        }
    }

    @Test func thePeriodicLoopTrainsThenStopsWhenCancelled() async throws {
        try await ModelHarness.run { h in
            try await h.seed(12)
            let holder = ModelHolder()
            let lifecycle = h.lifecycle(holder: holder)
            let loop = Task { await lifecycle.run(every: .milliseconds(100)) }
            // Trained, then stored (the holder has it before the ConfigMaps do).
            try await eventually("the loop trains and stores a model", timeout: .seconds(60)) {
                guard holder.current != nil else { return false }
                return try await h.configMaps.getOptional("vtag-model") != nil
            }
            loop.cancel()
            // Returns promptly once cancelled (bounded wait).
            try await withDeadline(.seconds(60), "the model loop after its cancellation") { await loop.value }
        }
    }
}
