/// The API group of every vtag kind, and the well-known names the parts share.
public enum VTag {
    public static let group = "vtag.dev"
    public static let version = "v1alpha1"
    public static let apiVersion = "\(group)/\(version)"

    /// Annotation on a DiscoveryJob: any change of its value requests a run now.
    public static let runRequestedAnnotation = "vtag.dev/run-requested"

    /// Labels mirrored onto every CloudResource so kubectl can select by them.
    public enum Label {
        public static let provider = "vtag.dev/provider"
        public static let type = "vtag.dev/type"
        public static let account = "vtag.dev/account"
        public static let region = "vtag.dev/region"
        /// Name of the DiscoveryJob that found the resource.
        public static let job = "vtag.dev/job"
        /// On a TagApproval: the (key, value, source) group it belongs to, hashed.
        public static let approvalGroup = "vtag.dev/approval-group"
        public static let managedBy = "app.kubernetes.io/managed-by"
    }

    /// Field managers (server-side apply / managedFields) of each writer.
    public enum FieldManager {
        public static let discovery = "vtag-discovery"
        public static let tagger = "vtag-tagger"
        public static let approvals = "vtag-approvals"
        public static let cli = "kubectl-vtag"
    }

    /// Condition types.
    public enum ConditionType {
        public static let ready = "Ready"
        public static let tagged = "Tagged"
        public static let compliant = "Compliant"
        public static let running = "Running"
        public static let decided = "Decided"
        public static let applied = "Applied"
    }

    /// The required keys when the operator config names none.
    public static let defaultRequiredKeys = ["env", "team", "owner", "cost-center", "application"]
}
