// swift-tools-version:6.1
import PackageDescription

// Layout and dependency direction are fixed by DESIGN.md:
// Operator/VTagCLI -> Reconcilers -> (K8sClient, TaggingAPI, Inference, Discovery);
// Inference and Discovery never import K8sClient.
let package = Package(
    name: "vtag",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vtag-operator", targets: ["Operator"]),
        .executable(name: "kubectl-vtag", targets: ["VTagCLI"]),
        .executable(name: "vtag-bench", targets: ["Benchmarks"]),
        .library(name: "K8sClient", targets: ["K8sClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.1.4"),
        .package(url: "https://github.com/CoreOffice/XMLCoder", from: "0.18.2"),
        // HTTP/2 for the test API server only (clients negotiate h2 with a real API server).
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
    ],
    targets: [
        // Custom resource types (Codable), conditions, names. Pure Foundation.
        // Kubernetes API machinery types (ObjectMeta, Condition, Status, times). Pure Foundation,
        // like kube-rs's kube-core, so TaggingAPI and Inference stay free of HTTP.
        .target(name: "KubeCore"),

        .target(name: "TaggingAPI", dependencies: ["KubeCore"]),

        // Generic Kubernetes client + controller runtime. Knows nothing of tagging.
        .target(
            name: "K8sClient",
            dependencies: [
                "KubeCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // In-process Kubernetes API server for tests (HTTPS on loopback). Test support only.
        .target(
            name: "KubeTestServer",
            dependencies: [
                "KubeCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),

        // Pure, deterministic tag inference.
        .target(name: "Inference", dependencies: ["TaggingAPI"]),

        // Cloud discovery providers: aws, simulated, inventory files.
        .target(
            name: "Discovery",
            dependencies: [
                "TaggingAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "XMLCoder", package: "XMLCoder"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // One reconciler per kind; the only place that joins the parts.
        .target(
            name: "Reconcilers",
            dependencies: [
                "K8sClient", "TaggingAPI", "Inference", "Discovery",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        .executableTarget(
            name: "Operator",
            dependencies: [
                "Reconcilers", "K8sClient", "TaggingAPI", "Inference",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        .executableTarget(
            name: "VTagCLI",
            dependencies: [
                "Reconcilers", "K8sClient", "TaggingAPI", "Inference", "Discovery",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),

        .executableTarget(
            name: "Benchmarks",
            dependencies: [
                "K8sClient", "KubeTestServer", "TaggingAPI", "Inference", "Discovery", "Reconcilers", "VTagTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks"
        ),

        // Test support shared by test targets (and the moto benchmark): repository files, YAML as kubectl reads it, the RBAC of manifests/, moto on loopback.
        .target(name: "VTagTestSupport", dependencies: ["KubeCore", .product(name: "Yams", package: "Yams")], path: "Tests/Support"),

        .testTarget(name: "TaggingAPITests", dependencies: ["TaggingAPI", "VTagTestSupport", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "K8sClientTests", dependencies: ["K8sClient", "KubeTestServer", "VTagTestSupport"]),
        .testTarget(
            name: "KubeTestServerTests",
            dependencies: [
                "KubeTestServer", "K8sClient", "VTagTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            resources: [.copy("Transcripts")]
        ),
        .testTarget(name: "InferenceTests", dependencies: ["Inference", "TaggingAPI", "Discovery"]),
        .testTarget(name: "DiscoveryTests", dependencies: ["Discovery", "TaggingAPI", "VTagTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "ReconcilersTests", dependencies: ["Reconcilers", "KubeTestServer", "VTagTestSupport"]),
        .testTarget(name: "VTagCLITests", dependencies: ["VTagCLI", "KubeTestServer", "Reconcilers", "K8sClient", "VTagTestSupport"], exclude: ["Golden"]),
        .testTarget(
            name: "OperatorTests",
            dependencies: [
                "Operator", "Reconcilers", "K8sClient", "KubeTestServer", "VTagTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(
            name: "E2ETests",
            dependencies: [
                "K8sClient", "KubeTestServer", "TaggingAPI", "Reconcilers", "Discovery", "Inference", "VTagTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
