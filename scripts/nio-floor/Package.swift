// swift-tools-version:6.0
// A benchmark peer for scripts/bench-proxy, not part of Ferry: the same
// forwarding written directly on SwiftNIO channels, to measure how close any
// Swift proxy built on NIO can come to nginx on this machine.
import PackageDescription

let package = Package(
    name: "NIOFloor",
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0")
    ],
    targets: [
        .executableTarget(
            name: "NIOFloor",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ])
    ]
)
