import Foundation

/// The repository's throwaway-server scripts (`scripts/*-throwaway VERB DIR`),
/// for tests that need a server of their own (one they may stop).
public enum Throwaway {
    public struct Failed: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs `scripts/NAME-throwaway VERB DIR`; returns what it printed.
    @discardableResult
    public static func run(_ name: String, _ verb: String, _ directory: String) throws -> String {
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
