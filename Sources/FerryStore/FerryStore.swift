// Ferry's own durable state (migration records, outbox, audit chain, observed
// legacy sessions, config history) lands here with the migration-engine issue.
