import Foundation

/// A secret read from a file or an environment variable at load time. Its
/// description never shows the value, so it can sit in logs and summaries.
public struct Secret: Equatable, Sendable, CustomStringConvertible {
    public enum Source: Equatable, Sendable {
        case file(String)
        case environment(String)
    }

    public let source: Source
    public let value: String

    public init(source: Source, value: String) {
        self.source = source
        self.value = value
    }

    public var description: String {
        switch source {
        case .file(let path): return "file \(path)"
        case .environment(let name): return "env $\(name)"
        }
    }

    /// Reads the secret; the error text names the source and the reason only.
    static func read(_ source: Source, environment: [String: String]) -> Result<Secret, SecretError> {
        switch source {
        case .file(let path):
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                guard var text = String(data: data, encoding: .utf8) else {
                    return .failure(SecretError("names \"\(path)\", which is not UTF-8 text"))
                }
                // Files written with `echo` end in a newline that is not part of the secret.
                while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
                guard !text.isEmpty else { return .failure(SecretError("names \"\(path)\", which is empty")) }
                return .success(Secret(source: source, value: text))
            } catch {
                return .failure(SecretError("names \"\(path)\", which cannot be read: \(reason(error))"))
            }
        case .environment(let name):
            guard let value = environment[name], !value.isEmpty else {
                return .failure(SecretError("names environment variable \(name), which is not set or is empty"))
            }
            return .success(Secret(source: source, value: value))
        }
    }

    private static func reason(_ error: Error) -> String {
        let nsError = error as NSError
        if let posix = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain,
            let message = strerror(Int32(posix.code))
        {
            return String(cString: message)
        }
        switch nsError.code {
        case NSFileReadNoSuchFileError: return "No such file or directory"
        case NSFileReadNoPermissionError: return "Permission denied"
        default: return nsError.localizedDescription
        }
    }
}

struct SecretError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
