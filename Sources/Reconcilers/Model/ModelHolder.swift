import KubeCore
import Inference

/// The model the tagger infers with, shared by the reconcilers. The model lifecycle replaces it after
/// training or loading; the TagApproval reconciler feeds it decisions. Reads are a lock and a copy of
/// a value type whose storage is shared (copy on write), so the hot path never waits on training.
public final class ModelHolder: Sendable {
    private let state: Locked<TagModel?>

    public init(_ model: TagModel? = nil) { state = Locked(model) }

    /// The model to infer with now (nil before the first training or load).
    public var current: TagModel? { state.withLock { $0 } }

    /// The version recorded on what the model tags (`status.modelVersion`).
    public var version: String? { current?.version }

    public func replace(_ model: TagModel?) { state.withLock { $0 = model } }

    /// Applies a change in place (e.g. `learn(decision:...)`); a no-op while there is no model.
    public func update(_ change: (inout TagModel) -> Void) {
        state.withLock { model in
            guard var m = model else { return }
            model = nil  // keep the storage uniquely referenced while it changes
            change(&m)
            model = m
        }
    }
}
