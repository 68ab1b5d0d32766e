import Logging
import Synchronization

/// Every line the loggers made from it logged, for tests that read logs (the
/// secrets check, a warning that must appear). `handler` gives each logger its
/// own handler value: metadata set on one logger (as Hummingbird does per
/// request, from many threads) never touches another's.
public final class LogCapture: Sendable {
    private let records = Mutex<[(line: String, metadata: Logger.Metadata)]>([])

    public init() {}

    /// Each record as `level message key=value …`.
    public var all: [String] { records.withLock { $0.map(\.line) } }

    /// The newest value logged under `key` (the reset token a platform "mails").
    public func value(_ key: String) -> String? {
        records.withLock { $0.last { $0.metadata[key] != nil }?.metadata[key].map { "\($0)" } }
    }

    /// For `Logger(label:factory:)`.
    public func handler(_ label: String) -> any LogHandler { Handler(capture: self) }

    func append(_ line: String, _ metadata: Logger.Metadata) { records.withLock { $0.append((line, metadata)) } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            let meta = all.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
            capture.append("\(event.level) \(event.message) \(meta)", all)
        }
    }
}
