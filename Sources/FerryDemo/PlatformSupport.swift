import Foundation
import GRDB
import Hummingbird
import PasswordHashes

/// What both sample platforms need from their storage and their password
/// checks, kept in one place so the two stay alike where real platforms are.
enum PlatformDatabase {
    /// Opens (creating if needed) a platform's SQLite file and brings its schema up to date.
    static func open(path: String, migrator: DatabaseMigrator) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        let database = try DatabaseQueue(path: path, configuration: configuration)
        // WAL, as a production identity database would run: readers (logins,
        // Ferry's legacy source) never wait for a writer (Ferry's SQL target).
        try database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
        try migrator.migrate(database)
        return database
    }
}

extension TOTP {
    /// A factor as the platforms store it: base32 secret and an algorithm name such as "SHA1".
    init?(base32Secret: String, digits: Int, period: Int, algorithm: String) {
        guard let secret = Base32.decode(base32Secret),
            let algorithm = DigestAlgorithm(rawValue: algorithm.lowercased())
        else { return nil }
        self.init(secret: secret, digits: digits, period: period, algorithm: algorithm)
    }
}

/// Checks passwords on a bounded pool of hash threads, never on the
/// concurrency runtime's threads: in `ferry demo` those also serve Ferry, and
/// inline bcrypt there was measured to slow proxied requests from p50 1.2 ms to
/// 179 ms during a burst of logins.
final class PasswordChecker: Sendable {
    let catalog: HashCatalog
    private let pool = HashWorkerPool(threads: 0, queueCapacity: 64)

    init(catalog: HashCatalog = HashCatalog()) {
        self.catalog = catalog
    }

    /// nil when every hash thread is busy and the queue is full.
    func verify(password: String, hash: String, salt: String? = nil) async -> VerificationResult? {
        let catalog = self.catalog
        return try? await pool.run { catalog.verify(password: password, hash: hash, salt: salt) }
    }

    deinit { pool.shutdown() }

    static let busy = WebForms.page(
        .serviceUnavailable, title: "Busy", body: "<p>Too many logins at once; try again.</p>")
}
