// swift-tools-version:6.1
import PackageDescription

// Layers and dependency direction: docs/ARCHITECTURE.md ("Layers").
// OperatorMain (the vtag-operator executable) -> Operator;
// Operator/VTagCLI -> Reconcilers -> (K8sClient, TaggingAPI, Inference, Discovery) -> KubeCore;
// VTagCLI -> Cost -> (TaggingAPI, Discovery's CSV tokenizer);
// Inference and Discovery never import K8sClient.
let package = Package(
    name: "vtag",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vtag-operator", targets: ["OperatorMain"]),
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
                "KubeCore", "CSpawn",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
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

        // Cloud discovery providers: aws, gcp, azure, simulated, inventory files.
        .target(
            name: "Discovery",
            dependencies: [
                "TaggingAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                // RS256 for GCP service-account JWTs.
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The system zlib (gzip), linked rather than a package: nothing to build.
        // posix_spawn's GNU extensions, for running exec credential plugins without Foundation's Process.
        .target(name: "CSpawn"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),

        // Cost allocation from FOCUS billing exports: reading them (CSV, gzip) and joining their rows to
        // resources and their tags. Pure: no cluster, no network.
        .target(name: "Cost", dependencies: ["KubeCore", "TaggingAPI", "Discovery", "CZlib"]),

        // One reconciler per kind; the only place that joins the parts.
        .target(
            name: "Reconcilers",
            dependencies: [
                "K8sClient", "KubeCore", "TaggingAPI", "Inference", "Discovery",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // The operator's command, configuration and services; a library so that tests import it without
        // linking OperatorMain's settings (a test bundle cannot link the Swift runtime statically).
        .target(
            name: "Operator",
            dependencies: [
                "Reconcilers", "K8sClient", "KubeCore", "TaggingAPI", "Inference",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        // The vtag-operator executable, in every build linked as the image ships it (OperatorLinkTests):
        // - the Swift runtime and Foundation linked in (-static-stdlib; compiled with it too, so OperatorMain.swift's
        //   imports name the static libraries' own dependencies): 4-6 MiB less resident than their shared
        //   libraries, which are mapped in large part;
        // - without -static-stdlib's --export-dynamic: its 49,000 exported symbols are a symbol table the
        //   loader searches at every lookup (2 MiB more resident); nothing looks the operator's symbols up;
        // - lld with packed relative relocations (DT_RELR, glibc 2.36+): the 54,000 relative relocations
        //   of Swift's metadata take 15 KB instead of gold's 1.3 MB, which the loader reads at every start.
        .executableTarget(
            name: "OperatorMain",
            dependencies: ["Operator"],
            swiftSettings: [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux]))],
            linkerSettings: [
                .unsafeFlags([
                    "-static-stdlib", "-Xlinker", "--no-export-dynamic",
                    "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
                ], .when(platforms: [.linux]))
            ]
        ),

        .executableTarget(
            name: "VTagCLI",
            dependencies: [
                "Reconcilers", "K8sClient", "KubeCore", "TaggingAPI", "Inference", "Discovery", "Cost",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),

        .executableTarget(
            name: "Benchmarks",
            dependencies: [
                "K8sClient", "KubeCore", "KubeTestServer", "TaggingAPI", "Inference", "Discovery", "Reconcilers", "VTagTestSupport", "Cost",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Benchmarks"
        ),

        // Test support shared by test targets (and the moto benchmark): repository files, YAML as kubectl reads it, the RBAC of manifests/, moto on loopback.
        // Also the runtime's test hooks (ManualRuntimeClock), which production code never needs.
        .target(name: "VTagTestSupport", dependencies: ["KubeCore", "K8sClient", .product(name: "Yams", package: "Yams")], path: "Tests/Support"),

        // GCP Cloud Asset and Azure Resource Graph stand-ins (their wire formats, on loopback), for tests.
        .target(
            name: "CloudAPITestServers",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/CloudAPITestServers"
        ),

        .testTarget(name: "TaggingAPITests", dependencies: ["TaggingAPI", "KubeCore", "VTagTestSupport", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "K8sClientTests", dependencies: ["K8sClient", "KubeCore", "KubeTestServer", "VTagTestSupport"]),
        .testTarget(
            name: "KubeTestServerTests",
            dependencies: [
                "KubeTestServer", "K8sClient", "KubeCore", "VTagTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            resources: [.copy("Transcripts")]
        ),
        .testTarget(name: "InferenceTests", dependencies: ["Inference", "KubeCore", "TaggingAPI", "Discovery"]),
        .testTarget(name: "CostTests", dependencies: ["Cost", "KubeCore", "TaggingAPI", "VTagTestSupport"], exclude: ["Fixtures"]),
        .testTarget(
            name: "DiscoveryTests", dependencies: ["Discovery", "KubeCore", "TaggingAPI", "VTagTestSupport", "CloudAPITestServers"], exclude: ["Fixtures"]),
        .testTarget(name: "ReconcilersTests", dependencies: ["Reconcilers", "KubeCore", "KubeTestServer", "VTagTestSupport", "CloudAPITestServers"]),
        .testTarget(
            name: "VTagCLITests", dependencies: ["VTagCLI", "KubeTestServer", "Reconcilers", "K8sClient", "KubeCore", "VTagTestSupport", "CloudAPITestServers"],
            exclude: ["Golden"]),
        .testTarget(
            name: "OperatorTests",
            dependencies: [
                "Operator", "Reconcilers", "K8sClient", "KubeCore", "KubeTestServer", "VTagTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(
            name: "E2ETests",
            dependencies: [
                "K8sClient", "KubeCore", "KubeTestServer", "TaggingAPI", "Reconcilers", "Discovery", "Inference", "VTagTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
