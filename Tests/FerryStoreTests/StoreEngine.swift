import FerryConfig
import FerryTestSupport
import Foundation
import Logging
import PostgresNIO

@testable import FerryStore

/// The engines the store tests run against: SQLite always; PostgreSQL when
/// `FERRY_TEST_POSTGRES_URL` names a server (`scripts/test` starts a
/// throwaway cluster and sets it; `.ci/run` therefore runs both).
enum StoreEngine: String, CustomStringConvertible, Sendable {
    case sqlite, postgres

    var description: String { rawValue }

    static var available: [StoreEngine] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    static var postgresURL: String? { TestPostgres.url }

    /// A fresh, empty store.
    func make() async throws -> any StateStore {
        switch self {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-state-\(UUID()).db").path
            return try SQLiteStateStore(path: path)
        case .postgres:
            return try PostgresStateStore(location: try await Self.freshDatabase(), timeout: .seconds(30))
        }
    }

    static func location(database: String? = nil) throws -> PostgresLocation {
        try TestPostgres.location(database: database)
    }

    static func freshDatabase() async throws -> PostgresLocation { try await TestPostgres.freshDatabase() }

}
