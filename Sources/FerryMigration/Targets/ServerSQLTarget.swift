import FerryConfig
import FerryStore
import Foundation
import Logging

/// The sql target on the new platform's PostgreSQL database.
public typealias PostgresSQLTarget = ServerSQLTarget<ExternalPostgres>
/// The sql target on the new platform's MySQL or MariaDB database.
public typealias MySQLSQLTarget = ServerSQLTarget<ExternalMySQL>

/// The sql target on a database server: the SQLite target's statements,
/// parameters and answers, in one transaction per job. Parameters are sent as
/// text of no stated type (PostgreSQL: untyped, as psql sends them; MySQL:
/// escaped literals), so the server reads each as the column it meets needs
/// (a flag as `boolean` or `integer`, a date string as a timestamp); on
/// PostgreSQL a parameter whose type nothing tells (`SELECT :email`) needs a
/// cast in the statement (`:email::text`).
public final class ServerSQLTarget<Database: ServerDatabase>: ProvisioningTarget {
    public var kind: TargetSettings.TargetKind { .sql }
    let database: Database
    let settings: TargetSettings
    let attributeParameters: Set<String>

    public init(settings: TargetSettings) throws {
        guard let location = settings.database,
            let database = try Database.open(location, timeout: settings.timeout, logger: Logger(label: "ferry"))
        else {
            throw TargetSetupError("target.database is not a \(Database.self) database")
        }
        self.database = database
        self.settings = settings
        attributeParameters = SQLTarget.attributeParameters(in: settings.allStatements + [settings.idQuery ?? ""])
    }

    /// Parameter values as the text psql would send; NULL stays NULL.
    static func text(_ values: SQLTarget.Values) -> [String: String?] {
        values.mapValues { $0?.databaseValue.storage.textValue }
    }

    public func provision(_ job: ProvisioningJob) async -> TargetOutcome {
        let settings = settings
        var values = SQLTarget.parameters(job, dateFormat: settings.dateFormat)
        for name in attributeParameters where values.index(forKey: name) == nil {
            values.updateValue(nil, forKey: name)
        }
        let base = Self.text(values)
        do {
            // Each run's parameters, as text, made before the transaction; its
            // `:new_id` is set to the platform's id once that is known.
            let runs = try SQLTarget.itemRuns(job, settings: settings, base: values).map {
                (statements: $0.statements, values: Self.text($0.values))
            }
            return try await database.write { session -> TargetOutcome in
                if let query = settings.existingQuery, let row = try await session.rows(query, base).first {
                    return SQLTarget.ownership(of: row, job: job)
                }
                // The id the platform gave the user, as on SQLite.
                var platformID: String?
                for sql in settings.statements {
                    if let id = try await session.rows(sql, base).first?["new_id"].textValue { platformID = id }
                }
                if let query = settings.idQuery {
                    guard let id = try await session.rows(query, base).first?["new_id"].textValue else {
                        throw MissingPlatformID()
                    }
                    platformID = id
                }
                let newID = platformID ?? job.newID
                for run in runs {
                    var values = run.values
                    values["new_id"] = newID
                    for sql in run.statements { _ = try await session.rows(sql, values) }
                }
                return .created(newID: newID)
            }
        } catch is MissingPlatformID {
            return .unavailable("new platform database: id_query returned no `new_id`; the job is retried")
        } catch is UnreadableSecret {
            return .rejected("an OTP secret of the job is not base32")
        } catch let error as MySQLError {
            return SQLTarget.outcome(mysql: error)
        } catch {
            return SQLTarget.outcome(sqlState: postgresSQLState(error), summary: databaseErrorSummary(error))
        }
    }

    public func holdsUser(_ identifier: String) async -> Bool? {
        guard let query = settings.lookupQuery else { return nil }
        return try? await database.read { session in
            !(try await session.rows(query, ["identifier": identifier])).isEmpty
        }
    }
}
