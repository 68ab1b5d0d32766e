import FerryConfig
import FerryStore
import Logging
import PasswordHashes

/// The legacy source the config names.
public enum LegacySources {
    public static func open(_ settings: LegacySourceSettings, logger: Logger = Logger(label: "ferry"))
        throws(LegacySourceError) -> any LegacySource
    {
        var primary: (any LegacySource & LegacyPasswordJudge)?
        if settings.kind == .cognito, let cognito = settings.cognito {
            primary = try CognitoLegacySource(settings: cognito, logger: logger)
        }
        if settings.kind == .ldap, let ldap = settings.ldap {
            primary = try LDAPLegacySource(settings: ldap, activeStatuses: settings.activeStatuses, logger: logger)
        }
        if let primary {
            guard settings.hasSideStore else { return primary }
            return SupplementedLegacySource(primary: primary, side: try sqlSource(settings, logger: logger))
        }
        var base: any LegacySource
        if settings.kind == .http, let http = settings.http {
            base = HTTPLegacySource(
                settings: http, activeStatuses: settings.activeStatuses, caseSensitive: settings.caseSensitive,
                logger: logger)
            if settings.hasSideStore {
                base = SupplementedLegacySource(primary: base, side: try sqlSource(settings, logger: logger))
            }
        } else {
            base = try sqlSource(settings, logger: logger)
        }
        guard settings.verify != .hash, let answer = settings.answer else { return base }
        let judge: OAuthPasswordJudge? =
            switch answer.mode {
            case .called: OAuthPasswordJudge(settings: answer, client: LegacyHTTPClient.shared, logger: logger)
            case .forwarded: nil
            }
        return AnsweredLegacySource(
            primary: base, judge: judge, mode: settings.verify, catalog: HashCatalog(legacy: settings))
    }

    /// The SQL store `legacy.database` names.
    static func sqlSource(_ settings: LegacySourceSettings, logger: Logger) throws(LegacySourceError)
        -> any LegacySource
        & LegacyRelatedRows
    {
        switch settings.database {
        case .sqlite: return try SQLiteLegacySource(settings: settings)
        case .postgres: return try PostgresLegacySource(settings: settings, logger: logger)
        case .mysql: return try MySQLLegacySource(settings: settings, logger: logger)
        }
    }
}
