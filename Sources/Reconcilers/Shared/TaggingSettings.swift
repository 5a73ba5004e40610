import Foundation
import Inference

/// What the tagging reconcilers (CloudResource, TaggingRule, TagApproval) and the model lifecycle
/// share from the operator's configuration.
public struct TaggingSettings: Sendable {
    /// Thresholds, required keys, normalisation and inheritance.
    public var inference: InferenceConfig
    /// Every CloudResource is evaluated again at least this often (catches model updates).
    public var reevaluateInterval: Duration
    /// A TagApproval nobody decided within this time becomes Expired.
    public var approvalTTL: Duration
    /// Where the learned model is stored (ConfigMaps named `modelConfigMap`, `-1`, `-2`, ... for chunks).
    public var modelNamespace: String
    public var modelConfigMap: String

    public init(
        inference: InferenceConfig = .default, reevaluateInterval: Duration = .seconds(3600),
        approvalTTL: Duration = .seconds(7 * 24 * 3600), modelNamespace: String = "vtag-system",
        modelConfigMap: String = "vtag-model"
    ) {
        self.inference = inference
        self.reevaluateInterval = reevaluateInterval
        self.approvalTTL = approvalTTL
        self.modelNamespace = modelNamespace
        self.modelConfigMap = modelConfigMap
    }
}
