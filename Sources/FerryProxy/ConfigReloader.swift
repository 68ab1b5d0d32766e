import FerryConfig
import Foundation
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// How a reload was asked for, for the record.
public enum ReloadTrigger: Sendable, CustomStringConvertible {
    case signal
    case admin(caller: String)

    public var description: String {
        switch self {
        case .signal: return "SIGHUP"
        case .admin(let caller): return "admin API (\(caller))"
        }
    }
}

/// One reload attempt: when, who, and what changed or why it was refused.
public struct ReloadRecord: Sendable {
    public enum Outcome: String, Sendable {
        case applied, unchanged, rejected
    }

    public var time: Date
    public var trigger: String
    public var outcome: Outcome
    public var generation: Int
    public var changedKeys: [String]
    /// Changed keys that only a restart applies (listen addresses, TLS on/off).
    public var restartRequired: [String]
    public var errors: [String]

    var json: [String: Any] {
        [
            "time": ISO8601DateFormatter().string(from: time), "trigger": trigger, "outcome": outcome.rawValue,
            "generation": generation, "changed_keys": changedKeys, "restart_required": restartRequired,
            "errors": errors,
        ]
    }
}

/// Parses and validates the config file, then swaps the whole runtime at once;
/// an invalid file is rejected and the running config stays.
actor ConfigReloader {
    let path: String
    let runtimes: RuntimeStore
    let metrics: ProxyMetrics
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    let certificates: CertificateStore
    let migration: MigrationHost
    let clientLedger: UpstreamClient.Ledger
    private(set) var history: [ReloadRecord] = []

    init(
        path: String, runtimes: RuntimeStore, metrics: ProxyMetrics, eventLoopGroup: any EventLoopGroup,
        certificates: CertificateStore, migration: MigrationHost, clientLedger: UpstreamClient.Ledger,
        logger: Logger
    ) {
        self.path = path
        self.clientLedger = clientLedger
        self.migration = migration
        self.runtimes = runtimes
        self.metrics = metrics
        self.eventLoopGroup = eventLoopGroup
        self.certificates = certificates
        self.logger = logger
    }

    func reload(_ trigger: ReloadTrigger) async -> ReloadRecord {
        let current = runtimes.runtime
        var record = ReloadRecord(
            time: Date(), trigger: trigger.description, outcome: .rejected, generation: current.generation,
            changedKeys: [], restartRequired: [], errors: [])
        do {
            let (config, digest) = try ProxyConfig.loadDigested(path: path)
            record.changedKeys = config.changedKeys(from: current.config)
            record.restartRequired = config.restartRequiredKeys(from: current.config)
            // Everything that can fail happens before anything is installed, so a
            // failed reload leaves the running config and certificate untouched.
            let certificate = try config.server.tls.map(CertificateStore.read)
            if record.changedKeys.isEmpty {
                record.outcome = .unchanged
            } else {
                let engine = try migration.engine(for: config, strict: true)
                let sessions = try migration.sessionTracker(for: config, strict: true)
                // After every step that can fail: clients are connection pools.
                let upstreams = Self.clients(
                    for: config, reusing: current, eventLoopGroup: eventLoopGroup, ledger: clientLedger)
                let runtime = ProxyRuntime(
                    config: config, generation: current.generation + 1, upstreams: upstreams, migration: engine,
                    sessions: sessions)
                let old = runtimes.swap(runtime)
                record.outcome = .applied
                record.generation = runtime.generation
                retire(old, keeping: upstreams)
                await audit(config.changes(from: current.config), record: record)
            }
            // Re-read on every reload, also when the file names did not change.
            if let certificate { certificates.install(certificate) }
            migration.services.instance.configDigest = digest
        } catch let error as ConfigError {
            record.errors = error.issues.map(\.description)
        } catch {
            record.errors = ["\(error)"]
        }
        metrics.reload(outcome: record.outcome.rawValue)
        history.append(record)
        if history.count > 100 { history.removeFirst(history.count - 100) }
        var metadata: Logger.Metadata = [
            "trigger": "\(record.trigger)", "outcome": "\(record.outcome.rawValue)",
            "generation": "\(record.generation)",
            "changed_keys": "\(record.changedKeys.joined(separator: ","))",
        ]
        if !record.restartRequired.isEmpty {
            metadata["restart_required"] = "\(record.restartRequired.joined(separator: ","))"
        }
        if record.outcome == .rejected {
            metadata["errors"] = "\(record.errors.joined(separator: " | "))"
            logger.error("config reload rejected; the running config stays", metadata: metadata)
        } else {
            logger.notice("config reload", metadata: metadata)
        }
        return record
    }

    /// Each applied change goes to the audit log with its old and new value, so
    /// the evidence shows which rules were in force when (secrets by source only).
    private func audit(_ changes: [ConfigChange], record: ReloadRecord) async {
        await migration.services.recordConfigChange(
            changes, trigger: record.trigger, generation: record.generation, at: record.time)
    }

    /// Upstream clients for `config`: unchanged upstreams keep their pools.
    /// Cannot fail, so a reload makes them after every step that can: a
    /// rejected reload must not leave connection pools behind.
    static func clients(
        for config: ProxyConfig, reusing current: ProxyRuntime?, eventLoopGroup: any EventLoopGroup,
        ledger: UpstreamClient.Ledger
    ) -> [String: UpstreamClient] {
        var clients: [String: UpstreamClient] = [:]
        for (name, settings) in config.upstreams {
            if let existing = current?.upstreams[name], existing.settings == settings {
                clients[name] = existing
            } else {
                clients[name] = UpstreamClient(settings: settings, eventLoopGroup: eventLoopGroup, ledger: ledger)
            }
        }
        return clients
    }

    /// Shuts down the old runtime's clients that the new one does not reuse, once
    /// requests that started under it have had time to finish.
    private func retire(_ old: ProxyRuntime, keeping kept: [String: UpstreamClient]) {
        let retired = old.upstreams.values.filter { client in !kept.values.contains { $0 === client } }
        guard !retired.isEmpty else { return }
        let grace = (retired.map(\.settings.responseTimeout).max() ?? .seconds(60)) + old.config.server.requestTimeout
        Task {
            try? await Task.sleep(for: grace)
            for client in retired { await client.shutdown() }
        }
    }
}

/// The TLS certificate and key in force; replaced on reload so new connections
/// get the new certificate without a restart.
final class CertificateStore: Sendable {
    typealias Certificate = (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey)
    private let current = Mutex<Certificate?>(nil)

    static func read(_ files: TLSFiles) throws -> Certificate {
        (
            try NIOSSLCertificate.fromPEMFile(files.certificateFile),
            try NIOSSLPrivateKey(file: files.privateKeyFile, format: .pem)
        )
    }

    func install(_ certificate: Certificate) {
        current.withLock { $0 = certificate }
    }

    func serverConfiguration() throws -> TLSConfiguration {
        guard let (chain, key) = current.withLock({ $0 }) else { throw CertificateMissing() }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.sslContextCallback = { [self] _, promise in
            var override = NIOSSLContextConfigurationOverride()
            if let (chain, key) = self.current.withLock({ $0 }) {
                override.certificateChain = chain.map { .certificate($0) }
                override.privateKey = .privateKey(key)
            }
            promise.succeed(override)
        }
        return configuration
    }

    struct CertificateMissing: Error {}
}
