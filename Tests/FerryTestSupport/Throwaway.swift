import Foundation

/// The repository's throwaway-server scripts (`scripts/*-throwaway VERB DIR`),
/// for tests that need a server of their own (one they may stop).
public enum Throwaway {
    public struct Failed: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs `scripts/NAME-throwaway VERB DIR`; returns what it printed. The
    /// script is waited for on a dispatch thread: blocking one of Swift's few
    /// cooperative threads for seconds would stall every other test's
    /// deadlines.
    @discardableResult
    public static func run(_ name: String, _ verb: String, _ directory: String) async throws -> String {
        try await offThePool { try runWaiting(name, verb, directory) }
    }

    private static func runWaiting(_ name: String, _ verb: String, _ directory: String) throws -> String {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/\(name)-throwaway").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: script)
        process.arguments = [verb, directory]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failed(description: "\(name)-throwaway \(verb) failed") }
        return String(decoding: data, as: UTF8.self)
    }

    /// Starts a server of the test's own in a new folder, runs `body` with
    /// the folder and what `start` exported, and stops it however `body` ends.
    public static func withServer(
        _ name: String, _ body: (_ directory: String, _ exports: [String: String]) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-\(name)-\(UUID())").path
        let exports = Self.exports(try await run(name, "start", directory))
        do {
            try await body(directory, exports)
        } catch {
            _ = try? await run(name, "stop", directory)
            throw error
        }
        _ = try? await run(name, "stop", directory)
    }

    /// The `export NAME='value'` lines a `start` printed.
    public static func exports(_ printed: String) -> [String: String] {
        var exports: [String: String] = [:]
        for line in printed.split(separator: "\n") where line.hasPrefix("export ") {
            let parts = line.dropFirst("export ".count).split(separator: "=", maxSplits: 1)
            if parts.count == 2 { exports[String(parts[0])] = String(parts[1]).trimmingCharacters(in: ["'"]) }
        }
        return exports
    }
}
